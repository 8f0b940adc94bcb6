// A strict JSON scanner over bytes: it checks the grammar JSON.parse checks (RFC 8259: no
// trailing commas, no raw control characters in strings, only the four whitespace bytes, no
// byte-order mark) and says where each value starts and ends, decoding nothing it is not asked
// to. The packument rewrite walks the few maps it changes with it and copies every other byte
// range as it came, so a 3 MiB document is not rebuilt to remove a handful of versions.

/** Thrown on the first byte JSON.parse would refuse (or on nesting past MAX_DEPTH). */
export class JsonScanError extends Error {}

/** Deeper nesting than this is refused (JSON.parse would read it; no packument has it). */
export const MAX_DEPTH = 10_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** For each byte: 1 when it may follow a backslash as a one-character escape. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

// Buffer's own slice decoder, without toString's argument checks (a packument has ~20,000 keys).
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice;

function utf8(b: Buffer, start: number, end: number): string {
  return utf8Slice.call(b, start, end);
}

/** A JSON string's text from its bytes [start, end), quotes included (`escaped`: it has escapes). */
export function jsonText(b: Buffer, start: number, end: number, escaped: boolean): string {
  if (!escaped) return utf8(b, start + 1, end - 1);
  return JSON.parse(utf8(b, start, end)) as string;
}

export class JsonScanner {
  pos = 0;
  /** Whether the last string read had an escape (its bytes are not its text). */
  escaped = false;
  readonly #stack: number[] = [];

  constructor(readonly b: Buffer) {}

  fail(what: string): never {
    throw new JsonScanError(`${what} at byte ${this.pos}`);
  }

  /** Skip the whitespace JSON allows: space, tab, line feed, carriage return. */
  ws(): void {
    const b = this.b;
    let p = this.pos;
    for (;;) {
      const c = b[p];
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  /** The byte at the cursor after whitespace (-1 at the end). */
  peek(): number {
    this.ws();
    return this.pos < this.b.length ? (this.b[this.pos] as number) : -1;
  }

  expect(c: number): void {
    this.ws();
    if (this.b[this.pos] !== c) this.fail(`expected "${String.fromCharCode(c)}"`);
    this.pos++;
  }

  /** Read a string at the cursor (its opening quote); the cursor ends after its closing one. */
  string(): void {
    const b = this.b;
    let p = this.pos;
    if (b[p] !== QUOTE) this.fail('expected a string');
    p++;
    let escaped = false;
    const end = b.length;
    for (;;) {
      if (p >= end) {
        this.pos = p;
        this.fail('unterminated string');
      }
      const c = b[p] as number;
      if (c === QUOTE) break;
      if (c < 0x20) {
        this.pos = p;
        this.fail('a control character in a string');
      }
      if (c === BACKSLASH) {
        escaped = true;
        const e = b[p + 1] as number;
        if (e === 0x75) {
          if (
            !(
              isHex(b[p + 2] as number) &&
              isHex(b[p + 3] as number) &&
              isHex(b[p + 4] as number) &&
              isHex(b[p + 5] as number)
            )
          ) {
            this.pos = p;
            this.fail('a bad \\u escape');
          }
          p += 6;
          continue;
        }
        if (p + 1 >= end || SIMPLE_ESCAPE[e] !== 1) {
          this.pos = p;
          this.fail('a bad escape');
        }
        p += 2;
        continue;
      }
      p++;
    }
    this.escaped = escaped;
    this.pos = p + 1;
  }

  /** Read a string and give back its text. */
  stringText(): string {
    const start = this.pos;
    this.string();
    return this.textOf(start, this.pos, this.escaped);
  }

  #number(): void {
    const b = this.b;
    let p = this.pos;
    if (b[p] === 0x2d) p++;
    if (b[p] === 0x30) p++;
    else if (isDigit(b[p] as number)) while (isDigit(b[p] as number)) p++;
    else {
      this.pos = p;
      this.fail('a bad number');
    }
    if (b[p] === 0x2e) {
      p++;
      if (!isDigit(b[p] as number)) {
        this.pos = p;
        this.fail('a bad number');
      }
      while (isDigit(b[p] as number)) p++;
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      p++;
      if (b[p] === 0x2b || b[p] === 0x2d) p++;
      if (!isDigit(b[p] as number)) {
        this.pos = p;
        this.fail('a bad number');
      }
      while (isDigit(b[p] as number)) p++;
    }
    this.pos = p;
  }

  #literal(word: string): void {
    const b = this.b;
    for (let i = 0; i < word.length; i++) {
      if (b[this.pos + i] !== word.charCodeAt(i)) this.fail('an unknown word');
    }
    this.pos += word.length;
  }

  /** A scalar at the cursor (no whitespace before it). */
  #scalar(c: number): void {
    if (c === QUOTE) this.string();
    else if (c === 0x74) this.#literal('true');
    else if (c === 0x66) this.#literal('false');
    else if (c === 0x6e) this.#literal('null');
    else if (c === 0x2d || isDigit(c)) this.#number();
    else this.fail('expected a value');
  }

  /** Read one value of any kind and depth (whitespace before it is skipped). */
  skip(): void {
    const b = this.b;
    const stack = this.#stack;
    const base = stack.length;
    value: for (;;) {
      this.ws();
      const c = b[this.pos] as number;
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        this.pos++;
        this.ws();
        const close = c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
        if (b[this.pos] === close) this.pos++;
        else {
          if (stack.length - base >= MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
          stack.push(c);
          if (c === OPEN_OBJECT) {
            this.string();
            this.expect(COLON);
          }
          continue;
        }
      } else this.#scalar(c);
      // After a value: the end of the containers it closes, or the next member.
      for (;;) {
        if (stack.length === base) return;
        this.ws();
        const top = stack[stack.length - 1];
        const n = b[this.pos];
        if (n === COMMA) {
          this.pos++;
          if (top === OPEN_OBJECT) {
            this.ws();
            this.string();
            this.expect(COLON);
          }
          continue value;
        }
        if ((top === OPEN_OBJECT && n === CLOSE_OBJECT) || (top === OPEN_ARRAY && n === CLOSE_ARRAY)) {
          this.pos++;
          stack.pop();
          continue;
        }
        this.fail('expected "," or the end of a container');
      }
    }
  }

  /** Bytes [keyStart, keyEnd) of the member key last read by first() or next(), quotes included. */
  keyStart = 0;
  keyEnd = 0;
  keyEscaped = false;

  /** A string's text from its bytes [start, end), quotes included. */
  textOf(start: number, end: number, escaped: boolean): string {
    return jsonText(this.b, start, end, escaped);
  }

  /** The text of the member key last read. */
  key(): string {
    return this.textOf(this.keyStart, this.keyEnd, this.keyEscaped);
  }

  /** Is the member key last read `word`? */
  keyIs(word: string): boolean {
    if (this.keyEscaped) return this.key() === word;
    const start = this.keyStart + 1;
    if (this.keyEnd - start - 1 !== word.length) return false;
    const b = this.b;
    for (let i = 0; i < word.length; i++) if (b[start + i] !== word.charCodeAt(i)) return false;
    return true;
  }

  #member(): void {
    this.ws();
    this.keyStart = this.pos;
    this.string();
    this.keyEnd = this.pos;
    this.keyEscaped = this.escaped;
    this.expect(COLON);
    this.ws();
  }

  /**
   * Enter the object at the cursor: false when it is empty (and read), else its first key is
   * read and the cursor is on its value. Each value must be read whole before next().
   */
  first(): boolean {
    this.expect(OPEN_OBJECT);
    if (this.peek() === CLOSE_OBJECT) {
      this.pos++;
      return false;
    }
    this.#member();
    return true;
  }

  /** After a member's value: true with the next key read, false at the object's end (read). */
  next(): boolean {
    const n = this.peek();
    this.pos++;
    if (n === COMMA) {
      this.#member();
      return true;
    }
    if (n === CLOSE_OBJECT) return false;
    this.pos--;
    this.fail('expected "," or "}"');
  }

  /** After the document's value: only whitespace may follow. */
  end(): void {
    this.ws();
    if (this.pos !== this.b.length) this.fail('text after the document');
  }
}
