// The chunked transfer coding of an upstream's answer (RFC 9112 §7.1), decoded as bytes
// arrive, strictly: hex sizes without leading spaces or signs, CRLF only, chunk extensions
// and trailer fields read and dropped within bounds. The proxy re-frames what it decoded
// for its client, so a body that only a lenient decoder would read is refused, not guessed.

import { MalformedAnswer } from './response-head.ts';

/** The longest chunk-size line (size and extensions) and trailer section accepted. */
const MAX_LINE = 4096;
const MAX_TRAILERS = 16 * 1024;

enum State {
  Size,
  Data,
  DataEnd,
  Trailers,
  Done,
}

export class ChunkedDecoder {
  #state = State.Size;
  /** Bytes left of the current chunk. */
  #left = 0;
  /** The part of a size line or trailer section that arrived so far. */
  #line = '';
  #trailerBytes = 0;

  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Decode `buf[start..end)`, handing data to `onData` (slices of `buf`). Returns where it
   * stopped: `end`, or the first byte after the body when it ended. Throws MalformedAnswer.
   */
  push(buf: Buffer, start: number, end: number, onData: (chunk: Buffer) => void): number {
    let at = start;
    while (at < end && this.#state !== State.Done) {
      switch (this.#state) {
        case State.Size: {
          const nl = this.#lineEnd(buf, at, end, MAX_LINE, 'a chunk-size line');
          if (nl === -1) return end;
          at = nl;
          this.#left = chunkSize(this.#take());
          this.#state = this.#left === 0 ? State.Trailers : State.Data;
          break;
        }
        case State.Data: {
          const n = Math.min(this.#left, end - at);
          onData(buf.subarray(at, at + n));
          at += n;
          this.#left -= n;
          if (this.#left === 0) this.#state = State.DataEnd;
          break;
        }
        case State.DataEnd: {
          const nl = this.#lineEnd(buf, at, end, 2, 'the end of a chunk');
          if (nl === -1) return end;
          at = nl;
          if (this.#take() !== '') throw new MalformedAnswer('a chunk is longer than its size says');
          this.#state = State.Size;
          break;
        }
        case State.Trailers: {
          const nl = this.#lineEnd(buf, at, end, MAX_LINE, 'a trailer line');
          if (nl === -1) return end;
          this.#trailerBytes += nl - at;
          at = nl;
          if (this.#trailerBytes > MAX_TRAILERS) throw new MalformedAnswer('its trailer section is too long');
          const line = this.#take();
          if (line === '') this.#state = State.Done;
          else if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*$/.test(line))
            throw new MalformedAnswer('it has a malformed trailer line');
          break;
        }
      }
    }
    return at;
  }

  /**
   * Gather a line ending in CRLF from `buf[at..end)` onto what arrived before: the index
   * after its LF, or -1 when it has not ended yet. The line (without CRLF) waits in #line.
   */
  #lineEnd(buf: Buffer, at: number, end: number, max: number, what: string): number {
    const lf = buf.indexOf(10, at);
    const stop = lf === -1 || lf >= end ? end : lf + 1;
    this.#line += buf.toString('latin1', at, stop);
    if (this.#line.length > max + 2) throw new MalformedAnswer(`${what} is too long`);
    if (stop === end && (lf === -1 || lf >= end)) return -1;
    if (this.#line.length < 2 || this.#line.charCodeAt(this.#line.length - 2) !== 13)
      throw new MalformedAnswer(`${what} ends in a bare LF`);
    return stop;
  }

  #take(): string {
    const line = this.#line.slice(0, -2);
    this.#line = '';
    if (line.includes('\r')) throw new MalformedAnswer('a line holds a bare CR');
    return line;
  }
}

/** A chunk-size line's size: hex digits, then optional `;` extensions (read and dropped). */
function chunkSize(line: string): number {
  const semi = line.indexOf(';');
  // Bad whitespace may stand before an extension's `;` (RFC 9112 §7.1.1).
  const size = semi === -1 ? line : line.slice(0, semi).replace(/[ \t]+$/, '');
  if (!/^[0-9a-fA-F]{1,12}$/.test(size))
    throw new MalformedAnswer(`a chunk size "${size.slice(0, 20)}" is not hex`);
  if (semi !== -1 && !/^[\t\x20-\x7e\x80-\xff]*$/.test(line.slice(semi))) {
    throw new MalformedAnswer('a chunk extension holds a control character');
  }
  return Number.parseInt(size, 16);
}
