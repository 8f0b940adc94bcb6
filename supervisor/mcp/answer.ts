// What an MCP server sends back, rewritten on its way to the agent: a JSON answer (one
// message or a batch) read whole up to a bound, or an event stream read event by event.
// Denied list entries are taken out (govern.ts), and the JSON-RPC errors of calls Warden
// refused are added: at the start of a stream, or beside the server's answers in a batch.

import { filterServerMessage } from './govern.ts';
import type { JsonRpcMessage } from './jsonrpc.ts';
import type { McpServer } from './servers.ts';
import { formatSseEvent, SseParser } from './sse.ts';

/** Most bytes of a JSON answer Warden reads whole. */
export const MAX_MCP_JSON_ANSWER = 16 * 1024 * 1024;

export class AnswerError extends Error {}

/** The kind of answer a Content-Type names: JSON, an event stream, or something else. */
export function answerKind(contentType: string | undefined): 'json' | 'sse' | 'other' {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type === 'text/event-stream') return 'sse';
  return 'other';
}

function filterValue(server: McpServer, value: unknown): { value: unknown; hidden: number } {
  if (!Array.isArray(value)) {
    const r = filterServerMessage(server, value);
    return { value: r.message, hidden: r.hidden };
  }
  let hidden = 0;
  const out = value.map((m) => {
    const r = filterServerMessage(server, m);
    hidden += r.hidden;
    return r.message;
  });
  return { value: out, hidden };
}

/** A JSON answer: collected, then filtered and merged with the refusals at the end. */
export class JsonAnswer {
  #chunks: Buffer[] = [];
  #bytes = 0;
  hidden = 0;

  constructor(
    private readonly server: McpServer,
    private readonly refusals: JsonRpcMessage[],
    /** The request was a batch: the answer is an array even when the server sent one message. */
    private readonly batch: boolean,
  ) {}

  push(chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (this.#bytes > MAX_MCP_JSON_ANSWER)
      throw new AnswerError(
        `the MCP server's JSON answer is larger than ${MAX_MCP_JSON_ANSWER} bytes; Warden does not read more`,
      );
    this.#chunks.push(chunk);
  }

  end(): Buffer {
    const text = Buffer.concat(this.#chunks).toString('utf8');
    if (text.trim() === '') {
      // Nothing from the server: the agent still gets the errors of its refused calls.
      if (this.refusals.length === 0) return Buffer.alloc(0);
      return Buffer.from(JSON.stringify(this.batch ? this.refusals : this.refusals[0]), 'utf8');
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new AnswerError(
        'the MCP server answered with a body that is not JSON, though it said application/json',
      );
    }
    const filtered = filterValue(this.server, value);
    this.hidden += filtered.hidden;
    let out = filtered.value;
    if (this.refusals.length > 0) {
      out = [...(Array.isArray(out) ? out : [out]), ...this.refusals];
    } else if (this.batch && !Array.isArray(out)) {
      out = [out];
    }
    return Buffer.from(JSON.stringify(out), 'utf8');
  }
}

/** An event stream: each event's data (a JSON-RPC message) filtered as it comes. */
export class SseAnswer {
  readonly #parser = new SseParser();
  #started = false;
  hidden = 0;
  dropped = 0;

  constructor(
    private readonly server: McpServer,
    private readonly refusals: JsonRpcMessage[],
  ) {}

  /** The rewritten events this chunk completed; throws SseError when an event is too long. */
  push(chunk: Buffer): Buffer {
    let out = this.#start();
    for (const event of this.#parser.push(chunk)) {
      if (event.data === undefined || event.data.trim() === '') {
        out += formatSseEvent(event);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(event.data);
      } catch {
        // Not a message Warden can read: the agent does not get it either.
        this.dropped++;
        continue;
      }
      const filtered = filterValue(this.server, value);
      this.hidden += filtered.hidden;
      out += formatSseEvent({ ...event, data: JSON.stringify(filtered.value) });
    }
    return Buffer.from(out, 'utf8');
  }

  /** Anything to send before the first byte of the server's stream (the refusals). */
  #start(): string {
    if (this.#started) return '';
    this.#started = true;
    return this.refusals
      .map((r) => formatSseEvent({ event: 'message', data: JSON.stringify(r), comments: [] }))
      .join('');
  }

  /** The refusals, when the stream ended before any chunk. */
  end(): Buffer {
    return Buffer.from(this.#start(), 'utf8');
  }
}
