// Sends encoded batches to an OTLP/HTTP logs endpoint (`{endpoint}/v1/logs`, JSON) under
// the OTLP retry contract. A 200 with partialSuccess.rejectedLogRecords is final: the batch
// is not resent and the rejection is reported as the destination's last error.

import type { HubRecord } from '../../api/hub.ts';
import { postWithRetry } from './http-post.ts';
import { logsRequestInto, type OtlpDevice } from './otlp-encode.ts';

export interface SinkResult {
  /** Records the receiver said it rejected (not to be retried). */
  rejected: number;
  /** A note for the destination's last error (partial success, odd answer), or null. */
  note: string | null;
}

export interface OtlpSinkOptions {
  endpoint: string;
  scopeVersion: string;
  /** How long one batch may keep retrying before the round gives up (the cursor stays). */
  retryForMs?: number;
  timeoutMs?: number;
  baseMs?: number;
  capMs?: number;
}

export function logsUrl(endpoint: string): string {
  const u = new URL(endpoint);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError('OTLP endpoint must be http(s)');
  return u.pathname.endsWith('/v1/logs') ? u.toString() : `${u.toString().replace(/\/+$/, '')}/v1/logs`;
}

// A request body is megabytes: each batch writing into a fresh buffer costs new pages and
// external memory that drives full garbage collections. A sink keeps the buffers of bodies
// that were wholly sent and answered, and writes the next batches into them: never one still
// in use (in flight, being retried, or not wholly handed to the OS), and only this sink's
// (the bytes go to the same destination).
const KEPT_BUFFERS = 4;

export class OtlpSink {
  readonly #url: string;
  readonly #free: Buffer[] = [];
  /** Prepared bodies → the buffer they are a view of. */
  readonly #backing = new WeakMap<Uint8Array, Buffer>();

  constructor(readonly o: OtlpSinkOptions) {
    this.#url = logsUrl(o.endpoint);
  }

  /**
   * Encode a batch (yielding as it goes: the previous batch may be in flight). The body is
   * for one deliver(): once that accepted it, its bytes may be overwritten by a later batch.
   */
  async prepare(batch: { device: OtlpDevice; records: readonly HubRecord[] }): Promise<Buffer> {
    const into = this.#free.pop();
    let written: { body: Buffer; buffer: Buffer };
    try {
      written = await logsRequestInto(into, batch.device, batch.records, this.o.scopeVersion, Date.now());
    } catch (error) {
      if (into) this.#free.push(into);
      throw error;
    }
    this.#backing.set(written.body, written.buffer);
    return written.body;
  }

  async send(batch: { device: OtlpDevice; records: readonly HubRecord[] }): Promise<SinkResult> {
    return this.deliver(await this.prepare(batch));
  }

  async deliver(body: string | Uint8Array): Promise<SinkResult> {
    const answer = await postWithRetry(
      this.#url,
      body,
      { 'content-type': 'application/json' },
      {
        deadline: Date.now() + (this.o.retryForMs ?? 60_000),
        timeoutMs: this.o.timeoutMs,
        baseMs: this.o.baseMs,
        capMs: this.o.capMs,
      },
    );
    if (answer.status < 200 || answer.status > 299) {
      throw new Error(`${this.#url}: HTTP ${answer.status} (not retryable): ${printable(answer.text)}`);
    }
    // Accepted and wholly sent: its buffer may take a later batch.
    const backing = typeof body === 'string' ? undefined : this.#backing.get(body);
    if (backing && answer.sent) {
      this.#backing.delete(body as Uint8Array);
      if (this.#free.length < KEPT_BUFFERS) this.#free.push(backing);
    }
    return partialSuccess(answer.text);
  }
}

function printable(text: string): string {
  return text.slice(0, 200).replace(/[^\x20-\x7e]/g, '?');
}

/** Read an ExportLogsServiceResponse; an empty or unparsable body means full success. */
export function partialSuccess(text: string): SinkResult {
  if (!text.trim()) return { rejected: 0, note: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { rejected: 0, note: 'the receiver answered 200 with a body that is not JSON' };
  }
  const ps = (parsed as { partialSuccess?: { rejectedLogRecords?: unknown; errorMessage?: unknown } } | null)
    ?.partialSuccess;
  if (!ps || typeof ps !== 'object') return { rejected: 0, note: null };
  const rejected = Number(ps.rejectedLogRecords ?? 0);
  const message = typeof ps.errorMessage === 'string' ? printable(ps.errorMessage) : '';
  if (!Number.isFinite(rejected) || rejected < 0)
    return { rejected: 0, note: 'bad partialSuccess in answer' };
  if (rejected === 0) return { rejected: 0, note: message ? `receiver warning: ${message}` : null };
  return { rejected, note: `receiver rejected ${rejected} record(s): ${message || 'no reason given'}` };
}
