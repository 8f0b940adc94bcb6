// Server-sent events (the WHATWG event-stream format) read incrementally: lines end in CRLF,
// LF or CR; an event ends at a blank line. Bounded: a line or an event longer than the limit
// is an error (the stream is cut), so a server that never ends an event cannot fill memory.

/** Most bytes of one event (all its lines). */
export const MAX_SSE_EVENT_BYTES = 8 * 1024 * 1024;

export interface SseEvent {
  event?: string;
  id?: string;
  retry?: string;
  /** The data lines joined with "\n"; undefined when the event had no data field. */
  data?: string;
  /** Comment lines (without the leading colon), kept so keep-alives still flow. */
  comments: string[];
}

export class SseError extends Error {}

export class SseParser {
  #pending = '';
  #event: SseEvent = { comments: [] };
  #eventBytes = 0;
  #sawCr = false;
  readonly #limit: number;
  readonly #decoder = new TextDecoder('utf-8');

  constructor(limit = MAX_SSE_EVENT_BYTES) {
    this.#limit = limit;
  }

  /** The events this chunk completed; throws SseError when an event exceeds the limit. */
  push(chunk: Buffer): SseEvent[] {
    let text = this.#decoder.decode(chunk, { stream: true });
    // A CR at the end of the last chunk already ended its line: a LF right after it is part of it.
    if (this.#sawCr && text.startsWith('\n')) text = text.slice(1);
    this.#sawCr = text.endsWith('\r');
    this.#pending += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const cr = this.#pending.indexOf('\r', start);
      const lf = this.#pending.indexOf('\n', start);
      if (cr === -1 && lf === -1) break;
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      const line = this.#pending.slice(start, end);
      start = end + (this.#pending[end] === '\r' && this.#pending[end + 1] === '\n' ? 2 : 1);
      const done = this.#line(line);
      if (done) out.push(done);
    }
    this.#pending = this.#pending.slice(start);
    if (this.#eventBytes + this.#pending.length > this.#limit) {
      throw new SseError(
        `an event of the stream is longer than ${this.#limit} bytes; Warden stops reading it`,
      );
    }
    return out;
  }

  #line(line: string): SseEvent | undefined {
    this.#eventBytes += line.length + 1;
    if (line === '') {
      const e = this.#event;
      this.#event = { comments: [] };
      this.#eventBytes = 0;
      return e.data !== undefined ||
        e.comments.length > 0 ||
        e.id !== undefined ||
        e.event !== undefined ||
        e.retry !== undefined
        ? e
        : undefined;
    }
    if (line.startsWith(':')) {
      this.#event.comments.push(line.slice(1));
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data')
      this.#event.data = this.#event.data === undefined ? value : `${this.#event.data}\n${value}`;
    else if (field === 'event') this.#event.event = value;
    else if (field === 'id') this.#event.id = value;
    else if (field === 'retry') this.#event.retry = value;
    return undefined;
  }
}

/** An event written back out (data may have several lines). */
export function formatSseEvent(e: SseEvent): string {
  let out = '';
  for (const c of e.comments) out += `:${c.replace(/[\r\n]/g, ' ')}\n`;
  if (e.event !== undefined) out += `event: ${e.event.replace(/[\r\n]/g, ' ')}\n`;
  if (e.id !== undefined) out += `id: ${e.id.replace(/[\r\n]/g, ' ')}\n`;
  if (e.retry !== undefined) out += `retry: ${e.retry.replace(/[\r\n]/g, ' ')}\n`;
  if (e.data !== undefined) for (const line of e.data.split('\n')) out += `data: ${line}\n`;
  return `${out}\n`;
}
