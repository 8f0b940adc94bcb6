// The byte writer under encode.ts: JSON pieces appended to a buffer that grows as needed,
// never from Node's shared pool (a batch's buffer is transferred to the writer thread).

import { put, putBytes, putInteger } from './bytes.ts';
import { NEEDS_ESCAPE } from './chain.ts';

/** Appends to a batch's buffer, growing it as needed. */
export class ByteWriter {
  buf: Buffer;
  at: number;

  /** Writes after the first `length` bytes of `bytes`. */
  constructor(bytes: Uint8Array, length: number) {
    this.buf =
      bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = length;
  }

  room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    // Never from Node's shared pool: a batch's buffer is transferred to the writer thread.
    const next = Buffer.allocUnsafeSlow(Math.max(4096, (this.at + bytes) * 2));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /** ASCII text (keys, numbers, punctuation). */
  ascii(text: string): void {
    this.room(text.length);
    this.at = put(this.buf, this.at, text);
  }

  /** A number, as JSON.stringify writes it: integers digit by digit; non-finite ones throw. */
  number(value: number): void {
    if (value >= 0 && Number.isSafeInteger(value)) {
      this.room(16);
      this.at = putInteger(this.buf, this.at, value);
      return;
    }
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold ${value}`);
    this.ascii(JSON.stringify(value));
  }

  /** Bytes made once (a key with its punctuation). */
  bytes(source: Uint8Array): void {
    this.room(source.length);
    this.at = putBytes(this.buf, this.at, source, 0, source.length);
  }

  /** Any string, as UTF-8. */
  utf8(text: string): void {
    this.room(text.length * 3);
    this.at += (this.buf as unknown as Utf8Writable).utf8Write(text, this.at);
  }

  /** A JSON string (or null), as jsonString writes it. */
  string(value: string | null): void {
    if (value === null) return this.ascii('null');
    const length = value.length;
    this.room(length * 3 + 2);
    const { buf } = this;
    const start = this.at;
    if (length <= SHORT) {
      // Byte by byte, stopping at anything but printable ASCII (the slow path below handles it).
      let at = start;
      buf[at++] = 0x22;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code < 0x20 || code === 0x22 || code === 0x5c || code >= 0x80) break;
        buf[at++] = code;
      }
      if (i === length) {
        buf[at++] = 0x22;
        this.at = at;
        return;
      }
    }
    if (NEEDS_ESCAPE.test(value)) {
      this.at = start;
      return this.utf8(JSON.stringify(value));
    }
    let at = start;
    buf[at++] = 0x22;
    at += (buf as unknown as Utf8Writable).utf8Write(value, at);
    buf[at++] = 0x22;
    this.at = at;
  }
}

/** Plain ASCII strings up to this length are copied in JavaScript; longer ones by Buffer's UTF-8 writer. */
const SHORT = 256;

/** Buffer's own UTF-8 writer (what buf.write(s, at, 'utf8') calls, without its argument checks). */
interface Utf8Writable {
  utf8Write(text: string, offset: number): number;
}
