// A packument read in one strict pass over its bytes: where each top-level member, each entry
// of `versions` and of `time` starts and ends, and of each version's entry only what the rules
// look at (version, name, install scripts, provenance attestations, integrity). Keys are read
// with their escapes decoded and the last of duplicate keys wins, as JSON.parse does, so what
// is judged here is what npm will read from the same bytes.

import { JsonScanner, jsonText } from './json-scan.ts';

/** Bytes [keyStart, keyEnd) are the key with its quotes; [valueStart, valueEnd) the value. */
export interface Member {
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

/** What one version's entry says (the last of duplicate keys, as JSON.parse keeps). */
export interface EntryFacts {
  /** The entry is an object. */
  object: boolean;
  /** Its `version` is a string equal to the entry's key. */
  versionOk: boolean;
  /** Its `name` is absent or a string equal to the package's name. */
  nameOk: boolean;
  /** Which of preinstall, install, postinstall `scripts` names with a string (bits 1, 2, 4). */
  scripts: number;
  hasInstallScript: boolean;
  /** `dist.attestations` is an object. */
  attested: boolean;
  /** Bytes of `dist.integrity` when it is a string (start -1: none), decoded when needed. */
  integrityStart: number;
  integrityEnd: number;
  integrityEscaped: boolean;
}

/** A `versions` entry: where it is, and what it says. */
export interface VersionMember extends Member, EntryFacts {}

export interface TimeMember extends Member {
  /** The value is a string (`escaped`: with escapes). */
  string: boolean;
  escaped: boolean;
}

export interface ReadPackument {
  /** Top-level members: each key once, at its first place, with its last value. */
  top: Map<string, Member>;
  /** `name`, when it is a string. */
  name?: string;
  /** `versions` when it is an object (else null). */
  versions: Map<string, VersionMember> | null;
  /** `time` when it is an object (else null). */
  time: Map<string, TimeMember> | null;
  /** Some key of the document, `versions` or `time` came more than once. */
  duplicates: boolean;
}

const OPEN_OBJECT = 0x7b;
const QUOTE = 0x22;
export const SCRIPT_BITS: ReadonlyArray<readonly [string, number]> = [
  ['preinstall', 1],
  ['install', 2],
  ['postinstall', 4],
];

/** Are bytes [a, a + n) and [b, b + n) of `buf` the same (a loop: these are a few bytes long)? */
function sameBytes(buf: Buffer, a: number, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** Is the string value at the cursor equal to the string at bytes [start, end) (read, either way)? */
function sameString(s: JsonScanner, start: number, end: number, escaped: boolean): boolean {
  const b = s.b;
  const at = s.pos;
  if (b[at] !== QUOTE) {
    s.skip();
    return false;
  }
  s.string();
  if (s.escaped || escaped) return s.textOf(at, s.pos, s.escaped) === s.textOf(start, end, escaped);
  if (s.pos - at !== end - start) return false;
  return sameBytes(b, start, at, end - start);
}

/** Is the string value at the cursor `text` (`bytes`: its UTF-8)? The value is read either way. */
function isText(s: JsonScanner, text: string, bytes: Buffer): boolean {
  const b = s.b;
  const at = s.pos;
  if (b[at] !== QUOTE) {
    s.skip();
    return false;
  }
  s.string();
  if (s.escaped) return s.textOf(at, s.pos, true) === text;
  if (s.pos - at - 2 !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (b[at + 1 + i] !== bytes[i]) return false;
  return true;
}

function readEntry(s: JsonScanner, name: string, nameBytes: Buffer): VersionMember {
  const keyStart = s.keyStart;
  const keyEnd = s.keyEnd;
  const keyEscaped = s.keyEscaped;
  const facts: VersionMember = {
    keyStart,
    keyEnd,
    valueStart: s.pos,
    valueEnd: 0,
    object: false,
    versionOk: false,
    nameOk: true,
    scripts: 0,
    hasInstallScript: false,
    attested: false,
    integrityStart: -1,
    integrityEnd: -1,
    integrityEscaped: false,
  };
  if (s.b[s.pos] !== OPEN_OBJECT) {
    s.skip();
    facts.valueEnd = s.pos;
    return facts;
  }
  facts.object = true;
  for (let more = s.first(); more; more = s.next()) {
    if (s.keyIs('version')) facts.versionOk = sameString(s, keyStart, keyEnd, keyEscaped);
    else if (s.keyIs('name')) facts.nameOk = isText(s, name, nameBytes);
    else if (s.keyIs('scripts')) facts.scripts = readScripts(s);
    else if (s.keyIs('hasInstallScript')) {
      const start = s.pos;
      s.skip();
      facts.hasInstallScript = s.pos - start === 4 && s.b[start] === 0x74;
    } else if (s.keyIs('dist')) readDist(s, facts);
    else s.skip();
  }
  facts.valueEnd = s.pos;
  return facts;
}

function readScripts(s: JsonScanner): number {
  if (s.b[s.pos] !== OPEN_OBJECT) {
    s.skip();
    return 0;
  }
  let bits = 0;
  for (let more = s.first(); more; more = s.next()) {
    let bit = 0;
    for (const [script, b] of SCRIPT_BITS) if (s.keyIs(script)) bit = b;
    const isString = s.b[s.pos] === QUOTE;
    s.skip();
    if (bit !== 0) bits = isString ? bits | bit : bits & ~bit;
  }
  return bits;
}

function readDist(s: JsonScanner, facts: EntryFacts): void {
  facts.attested = false;
  facts.integrityStart = -1;
  if (s.b[s.pos] !== OPEN_OBJECT) {
    s.skip();
    return;
  }
  for (let more = s.first(); more; more = s.next()) {
    if (s.keyIs('attestations')) {
      facts.attested = s.b[s.pos] === OPEN_OBJECT;
      s.skip();
    } else if (s.keyIs('integrity')) {
      const start = s.pos;
      const isString = s.b[start] === QUOTE;
      s.skip();
      facts.integrityStart = isString ? start : -1;
      facts.integrityEnd = s.pos;
      facts.integrityEscaped = isString && s.escaped;
    } else s.skip();
  }
}

/** A version entry's `dist.integrity` (under 400 characters), when it has one. */
export function integrityOf(body: Buffer, e: EntryFacts): string | undefined {
  if (e.integrityStart < 0) return undefined;
  const text = jsonText(body, e.integrityStart, e.integrityEnd, e.integrityEscaped);
  return text.length < 400 ? text : undefined;
}

/**
 * Read a packument's bytes (`name`: the package it must be about). Throws JsonScanError where
 * JSON.parse would refuse them; gives null for a JSON document that is not an object.
 */
export function readPackument(body: Buffer, name: string): ReadPackument | null {
  const s = new JsonScanner(body);
  if (s.peek() !== OPEN_OBJECT) {
    s.skip();
    s.end();
    return null;
  }
  const read: ReadPackument = { top: new Map(), versions: null, time: null, duplicates: false };
  for (let more = s.first(); more; more = s.next()) {
    const key = s.key();
    const { keyStart, keyEnd } = s;
    const valueStart = s.pos;
    if (key === 'versions') read.versions = readVersions(s, read, name);
    else if (key === 'time') read.time = readTime(s, read);
    else if (key === 'name') {
      if (s.b[s.pos] === QUOTE) read.name = s.stringText();
      else {
        s.skip();
        delete read.name;
      }
    } else s.skip();
    if (read.top.has(key)) read.duplicates = true;
    read.top.set(key, { keyStart, keyEnd, valueStart, valueEnd: s.pos });
  }
  s.end();
  return read;
}

function readVersions(s: JsonScanner, read: ReadPackument, name: string): Map<string, VersionMember> | null {
  if (s.b[s.pos] !== OPEN_OBJECT) {
    s.skip();
    return null;
  }
  const nameBytes = Buffer.from(name, 'utf8');
  const versions = new Map<string, VersionMember>();
  for (let more = s.first(); more; more = s.next()) {
    const key = s.key();
    const entry = readEntry(s, name, nameBytes);
    if (versions.has(key)) read.duplicates = true;
    versions.set(key, entry);
  }
  return versions;
}

function readTime(s: JsonScanner, read: ReadPackument): Map<string, TimeMember> | null {
  if (s.b[s.pos] !== OPEN_OBJECT) {
    s.skip();
    return null;
  }
  const time = new Map<string, TimeMember>();
  // A registry lists `time` in the order of `versions` (after `created` and `modified`): a
  // key with the very bytes of the next version's key is that version's string, not decoded
  // again. Any other key is decoded, and the next version waits for the next key.
  const order = read.versions ? read.versions.entries() : null;
  let pending = order?.next();
  for (let more = s.first(); more; more = s.next()) {
    let key: string;
    const p = pending?.done === false ? pending.value : undefined;
    const n = s.keyEnd - s.keyStart;
    if (
      p !== undefined &&
      !s.keyEscaped &&
      p[1].keyEnd - p[1].keyStart === n &&
      sameBytes(s.b, p[1].keyStart, s.keyStart, n)
    ) {
      key = p[0];
      pending = order?.next();
    } else key = s.key();
    const valueStart = s.pos;
    const string = s.b[valueStart] === QUOTE;
    if (string) s.string();
    else s.skip();
    if (time.has(key)) read.duplicates = true;
    time.set(key, {
      keyStart: s.keyStart,
      keyEnd: s.keyEnd,
      valueStart,
      valueEnd: s.pos,
      string,
      escaped: string && s.escaped,
    });
  }
  return time;
}

/** A `time` entry's text (undefined: not a string). */
export function timeText(body: Buffer, t: TimeMember | undefined): string | undefined {
  if (!t?.string) return undefined;
  return jsonText(body, t.valueStart, t.valueEnd, t.escaped);
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `n` digits at bytes [at, at + n) as a number (-1: not all digits). */
function digits(b: Buffer, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = (b[i] as number) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * A `time` entry's instant in epoch milliseconds, as `new Date(text)` reads it (NaN: not a
 * date; undefined: not a string). The form registries write, `"2026-12-07T02:00:00.000Z"`, is
 * read from its bytes (no string, no date parser); any other form goes to `new Date`.
 */
export function timeMillis(body: Buffer, t: TimeMember | undefined): number | undefined {
  if (!t?.string) return undefined;
  const at = t.valueStart + 1;
  if (!t.escaped && t.valueEnd - t.valueStart === 26) {
    const b = body;
    const year = digits(b, at, 4);
    const month = digits(b, at + 5, 2);
    const day = digits(b, at + 8, 2);
    const hour = digits(b, at + 11, 2);
    const minute = digits(b, at + 14, 2);
    const second = digits(b, at + 17, 2);
    const ms = digits(b, at + 20, 3);
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    if (
      b[at + 4] === 0x2d &&
      b[at + 7] === 0x2d &&
      b[at + 10] === 0x54 &&
      b[at + 13] === 0x3a &&
      b[at + 16] === 0x3a &&
      b[at + 19] === 0x2e &&
      b[at + 23] === 0x5a &&
      year >= 0 &&
      ms >= 0 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= (DAYS[month - 1] as number) + (month === 2 && leap ? 1 : 0) &&
      hour >= 0 &&
      hour < 24 &&
      minute >= 0 &&
      minute < 60 &&
      second >= 0 &&
      second < 60
    ) {
      const d = Date.UTC(year, month - 1, day, hour, minute, second, ms);
      // Date.UTC reads years 0-99 as 1900-1999; such a year goes the slow way.
      if (year >= 100) return d;
    }
  }
  return new Date(jsonText(body, t.valueStart, t.valueEnd, t.escaped)).getTime();
}
