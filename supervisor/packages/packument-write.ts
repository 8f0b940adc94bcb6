// A judged packument written out as pieces: ranges of the bytes read (no copy; adjacent
// members joined into one range) and the few bytes written again (commas, braces, dist-tags).
// Every key of the document, `versions` and `time` is written once, at its first place with
// its last value, as JSON.parse reads duplicates.

import type { ReadPackument } from './packument-read.ts';

const BYTES: Record<number, Buffer> = {};
for (const c of [0x7b, 0x7d, 0x2c, 0x3a]) BYTES[c] = Buffer.from([c]);

/**
 * The answer as pieces: ranges of the source (a range that continues the last one extends
 * it) and the bytes written again.
 */
class Out {
  readonly chunks: Buffer[] = [];
  #start = -1;
  #end = -1;
  constructor(readonly src: Buffer) {}
  #flush(): void {
    if (this.#start >= 0) this.chunks.push(this.src.subarray(this.#start, this.#end));
    this.#start = -1;
  }
  copy(start: number, end: number): void {
    if (start === this.#end && this.#start >= 0) this.#end = end;
    else {
      this.#flush();
      this.#start = start;
      this.#end = end;
    }
  }
  byte(c: number): void {
    this.#flush();
    this.chunks.push(BYTES[c] as Buffer);
  }
  text(t: string): void {
    this.#flush();
    this.chunks.push(Buffer.from(t, 'utf8'));
  }
  done(): Buffer[] {
    this.#flush();
    return this.chunks;
  }
}

/** Is [from, to) whitespace around one comma (so two members are next to each other)? */
function oneComma(b: Buffer, from: number, to: number): boolean {
  let commas = 0;
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c === 0x2c) commas++;
    else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return commas === 1;
}

/**
 * A map written again with its members in order, less those `gone` names. Members next to
 * each other in the source are copied as one range (with the comma between them).
 */
function writeMap(
  o: Out,
  members: Map<string, { keyStart: number; valueEnd: number }>,
  gone: Set<string>,
): void {
  o.byte(0x7b);
  let first = true;
  let runStart = -1;
  let runEnd = -1;
  for (const [key, m] of members) {
    if (gone.has(key)) continue;
    if (runStart >= 0 && m.keyStart > runEnd && oneComma(o.src, runEnd, m.keyStart)) {
      runEnd = m.valueEnd;
      continue;
    }
    if (runStart >= 0) {
      if (!first) o.byte(0x2c);
      first = false;
      o.copy(runStart, runEnd);
    }
    runStart = m.keyStart;
    runEnd = m.valueEnd;
  }
  if (runStart >= 0) {
    if (!first) o.byte(0x2c);
    o.copy(runStart, runEnd);
  }
  o.byte(0x7d);
}

export function writePackument(
  body: Buffer,
  read: ReadPackument,
  gone: Set<string>,
  tags: string | undefined,
): Buffer[] {
  const o = new Out(body);
  o.byte(0x7b);
  let first = true;
  for (const [key, m] of read.top) {
    if (!first) o.byte(0x2c);
    first = false;
    o.copy(m.keyStart, m.keyEnd);
    o.byte(0x3a);
    if (key === 'versions' && read.versions) writeMap(o, read.versions, gone);
    else if (key === 'time' && read.time) writeMap(o, read.time, gone);
    else if (key === 'dist-tags' && tags !== undefined) o.text(tags);
    else o.copy(m.valueStart, m.valueEnd);
  }
  if (tags !== undefined && !read.top.has('dist-tags')) o.text(`,"dist-tags":${tags}`);
  o.byte(0x7d);
  return o.done();
}
