// Reads the token usage out of a model API answer as it streams through the proxy, without
// keeping the whole of it: a server-sent event stream is split into lines (each capped) and
// only the events that carry usage are parsed; a JSON answer is kept up to a cap and parsed
// at its end. Anthropic Messages: `usage` of the message, or `message_start.message.usage`
// then `message_delta.usage` (cumulative) in a stream. OpenAI Chat Completions: `usage`, or
// the last chunk's `usage` when the request set `stream_options.include_usage`. OpenAI
// Responses: `usage`, or `response.usage` of the `response.completed` event.

import type { ModelApi } from '../api/spend.ts';
import { BoundedLines } from './lines.ts';

export interface ReadLimits {
  /** The longest SSE line kept (default 1 MiB); longer ones are dropped. */
  maxLineBytes: number;
  /** The largest JSON answer parsed (default 8 MiB). */
  maxJsonBytes: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { maxLineBytes: 1 << 20, maxJsonBytes: 8 << 20 };

export interface ReadUsage {
  model: string | undefined;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Why the figures may be short (see RequestUsage.incomplete). */
  incomplete?: string;
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;

/** A token count: a non-negative safe integer, else undefined. */
function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

function parse(text: string): Json | undefined {
  try {
    return obj(JSON.parse(text));
  } catch {
    return undefined;
  }
}

export class UsageReader {
  readonly #api: ModelApi;
  readonly #stream: boolean;
  readonly #limits: ReadLimits;
  readonly #lines: BoundedLines;
  #json: Buffer[] = [];
  #jsonBytes = 0;
  #overCap = false;
  #model: string | undefined;
  #input = 0;
  #output = 0;
  #cacheRead = 0;
  #cacheWrite = 0;
  #sawUsage = false;
  #complete = false;
  #ended = false;
  #cut: string | undefined;

  constructor(api: ModelApi, contentType: string | undefined, limits: ReadLimits = DEFAULT_READ_LIMITS) {
    this.#api = api;
    this.#stream = /^\s*text\/event-stream/i.test(contentType ?? '');
    this.#limits = limits;
    this.#lines = new BoundedLines(limits.maxLineBytes);
  }

  push(chunk: Buffer): void {
    if (this.#ended) return;
    if (this.#stream) {
      this.#lines.push(chunk, (line) => this.#line(line));
      return;
    }
    if (this.#overCap) return;
    if (this.#jsonBytes + chunk.length > this.#limits.maxJsonBytes) {
      this.#overCap = true;
      this.#json = [];
      return;
    }
    this.#json.push(chunk);
    this.#jsonBytes += chunk.length;
  }

  /** The answer ended as it should (its last byte came). */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#stream) return;
    if (this.#overCap) return;
    const body = parse(Buffer.concat(this.#json).toString('utf8'));
    this.#json = [];
    if (body) this.#take(obj(body.usage), body.model);
    this.#complete = this.#sawUsage;
  }

  /** The answer stopped before its end. */
  cut(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#cut = reason;
    this.#json = [];
  }

  result(): ReadUsage {
    const out: ReadUsage = {
      model: this.#model,
      inputTokens: this.#input,
      outputTokens: this.#output,
      cacheReadTokens: this.#cacheRead,
      cacheWriteTokens: this.#cacheWrite,
    };
    const why = this.#incomplete();
    if (why) out.incomplete = why;
    return out;
  }

  #incomplete(): string | undefined {
    if (this.#complete) return undefined;
    if (this.#cut) return `${this.#cut}; the usage is what was seen before`;
    if (this.#overCap)
      return `the answer was over ${this.#limits.maxJsonBytes} bytes; its usage was not read`;
    if (!this.#ended) return 'the answer was cut before its end (the client or the upstream went away)';
    if (this.#stream && this.#api === 'openai.chat' && !this.#sawUsage) {
      return 'the stream carried no usage (the request did not set stream_options.include_usage)';
    }
    const skipped = this.#lines.overlong > 0 ? ` (${this.#lines.overlong} over-long lines were skipped)` : '';
    return this.#stream
      ? `the stream ended without its final usage event${skipped}`
      : 'the answer carried no usage';
  }

  #line(line: string): void {
    if (!line.startsWith('data:')) return;
    const data = line.slice(5).trimStart();
    if (data === '[DONE]') {
      if (this.#sawUsage) this.#complete = true;
      return;
    }
    // Only events that can carry the model or usage are parsed.
    if (!data.includes('"usage"') && !data.includes('"model"')) return;
    const event = parse(data);
    if (event) this.#event(event);
  }

  #event(e: Json): void {
    const type = e.type;
    if (this.#api === 'anthropic.messages') {
      if (type === 'message_start') {
        const message = obj(e.message);
        this.#take(obj(message?.usage), message?.model);
      } else if (type === 'message_delta') {
        this.#take(obj(e.usage), undefined);
        this.#complete = true;
      }
      return;
    }
    if (this.#api === 'openai.responses') {
      const response = obj(e.response);
      if (typeof response?.model === 'string') this.#model ??= response.model;
      if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
        this.#take(obj(response?.usage), response?.model);
        this.#complete = this.#sawUsage;
      }
      return;
    }
    if (typeof e.model === 'string') this.#model ??= e.model;
    this.#take(obj(e.usage), e.model);
  }

  /** Takes a usage object of the reader's API: the fields it has replace what was seen. */
  #take(usage: Json | undefined, model: unknown): void {
    if (typeof model === 'string' && model !== '') this.#model = model.slice(0, 200);
    if (!usage) return;
    this.#sawUsage = true;
    if (this.#api === 'anthropic.messages') {
      this.#input = count(usage.input_tokens) ?? this.#input;
      this.#output = count(usage.output_tokens) ?? this.#output;
      this.#cacheRead = count(usage.cache_read_input_tokens) ?? this.#cacheRead;
      this.#cacheWrite = count(usage.cache_creation_input_tokens) ?? this.#cacheWrite;
      return;
    }
    // OpenAI counts cached input inside the input; here it is apart, as Anthropic reports it.
    const chat = this.#api === 'openai.chat';
    const input = count(chat ? usage.prompt_tokens : usage.input_tokens);
    const output = count(chat ? usage.completion_tokens : usage.output_tokens);
    const details = obj(chat ? usage.prompt_tokens_details : usage.input_tokens_details);
    const cached = Math.min(count(details?.cached_tokens) ?? 0, input ?? 0);
    if (input !== undefined) {
      this.#input = input - cached;
      this.#cacheRead = cached;
    }
    if (output !== undefined) this.#output = output;
  }
}
