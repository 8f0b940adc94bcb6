// A bounded line splitter for a server-sent event stream read as bytes: lines end in LF
// (a CR before it is dropped). A line longer than the cap is not kept: its bytes are
// dropped up to its end and it is counted, so a hostile stream cannot grow the buffer.

const LF = 0x0a;

export class BoundedLines {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #skipping = false;
  /** Lines dropped for being over the cap. */
  overlong = 0;

  constructor(readonly maxLineBytes: number) {}

  /** Adds a chunk; calls `onLine` for each complete line (without its line end). */
  push(chunk: Buffer, onLine: (line: string) => void): void {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(LF, start);
      if (end < 0) break;
      this.#take(chunk.subarray(start, end), true, onLine);
      start = end + 1;
    }
    if (start < chunk.length) this.#take(chunk.subarray(start), false, onLine);
  }

  #take(part: Buffer, complete: boolean, onLine: (line: string) => void): void {
    if (!this.#skipping && this.#pendingBytes + part.length > this.maxLineBytes) {
      this.#skipping = true;
      this.overlong++;
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    if (this.#skipping) {
      if (complete) this.#skipping = false;
      return;
    }
    if (!complete) {
      this.#pending.push(Buffer.from(part));
      this.#pendingBytes += part.length;
      return;
    }
    const whole = this.#pendingBytes > 0 ? Buffer.concat([...this.#pending, part]) : part;
    this.#pending = [];
    this.#pendingBytes = 0;
    let text = whole.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    onLine(text);
  }
}
