// Server-sent events (`GET /v1/events`), both directions, written once for every process:
// the daemon writes with encodeSse, and the Node client, Electron main and the browser
// read with SseParser. No Node imports: it runs in the browser too. Parsing follows the
// WHATWG event-stream rules: lines end in CRLF, LF or CR (also split across chunks), a
// line starting with `:` is a comment, one space after the colon is dropped, several
// `data` lines join with "\n", and a blank line ends the event.

/** One event as read off the stream. */
export interface SseEvent {
  /** The `event` field; `message` when the event named none. */
  event: string;
  /** The `data` lines joined with "\n". */
  data: string;
  /** The last `id` seen on the stream (it carries over to later events), if any. */
  id?: string;
}

/** Reads events from text chunks of any size; give it the chunks in order. */
export class SseParser {
  #buffer = '';
  /** The last chunk ended in CR: a LF that starts the next one belongs to that line end. */
  #afterCr = false;
  #started = false;
  #event = '';
  #data: string[] = [];
  #id: string | undefined;
  #retryMs: number | undefined;

  /** The reconnection time the server last asked for (`retry:`), if it asked. */
  get retryMs(): number | undefined {
    return this.#retryMs;
  }

  /** Adds a chunk; returns the events it completed, in order. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (this.#afterCr && text.startsWith('\n')) text = text.slice(1);
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.#afterCr = false;
    this.#buffer += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const end = lineEnd(this.#buffer, start);
      if (end < 0) break;
      const line = this.#buffer.slice(start, end);
      if (this.#buffer[end] === '\r') {
        if (end + 1 === this.#buffer.length) {
          this.#afterCr = true;
          start = end + 1;
        } else start = this.#buffer[end + 1] === '\n' ? end + 2 : end + 1;
      } else start = end + 1;
      const event = this.#line(line);
      if (event) out.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    return out;
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id') {
      if (!value.includes('\0')) this.#id = value;
    } else if (field === 'retry' && /^\d+$/.test(value)) this.#retryMs = Number(value);
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    const data = this.#data;
    const event = this.#event || 'message';
    this.#data = [];
    this.#event = '';
    if (data.length === 0) return undefined;
    return { event, data: data.join('\n'), ...(this.#id !== undefined ? { id: this.#id } : {}) };
  }
}

/** Index of the first CR or LF at or after `from`, or -1. */
function lineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return -1;
}

/** One event as the daemon writes it: a data line per line of `data`, then a blank line. */
export function encodeSse(event: string, data: string): string {
  if (/[\r\n]/.test(event))
    throw new Error(`an event name cannot hold a line break: ${JSON.stringify(event)}`);
  return `event: ${event}\n${data
    .split(/\r\n|\r|\n/)
    .map((l) => `data: ${l}\n`)
    .join('')}\n`;
}
