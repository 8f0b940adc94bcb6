// The spend of one model API exchange: reads the usage of its answer as it streams to the
// agent (a copy: the relay is not slowed or changed), decoding a compressed answer on the
// side, and says what it read once the answer has ended or was cut.

import type http from 'node:http';
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { ModelApi, RequestUsage } from '../api/spend.ts';
import { chargedPrice, type SpendRules } from './budgets.ts';
import { costOf } from './prices.ts';
import { type ReadLimits, UsageReader } from './read-usage.ts';

/** How long the side decoder may take to finish after the answer ended. */
const SETTLE_MS = 2000;

const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createUnzip(),
  br: () => zlib.createBrotliDecompress(),
};

export class ExchangeMeter {
  #reader: UsageReader | undefined;
  #done: Promise<void> = Promise.resolve();

  constructor(
    readonly api: ModelApi,
    private readonly prices: Pick<SpendRules, 'prices' | 'floor'>,
    private readonly limits?: ReadLimits,
  ) {}

  /**
   * Asks for the answer uncompressed (the providers honour it); an answer compressed anyway
   * is decoded on the side in watch().
   */
  narrow(headers: Record<string, string | string[]>): void {
    headers['accept-encoding'] = 'identity';
  }

  /** Watch the answer: add it where the response comes in, before it is relayed. */
  watch(up: http.IncomingMessage): void {
    const status = up.statusCode ?? 0;
    if (status < 200 || status >= 300) return;
    const reader = new UsageReader(this.api, up.headers['content-type'], this.limits);
    this.#reader = reader;
    const codings = (up.headers['content-encoding'] ?? '')
      .split(',')
      .map((c) => c.trim().toLowerCase())
      .filter((c) => c !== '' && c !== 'identity');
    const unknown = codings.find((c) => !DECODERS[c]);
    if (unknown) {
      reader.cut(`the answer was in the content encoding "${unknown.slice(0, 40)}", which is not read`);
      return;
    }
    let ended = false;
    up.on('end', () => {
      ended = true;
    });
    const cutReason = () => 'the answer was cut before its end';
    if (codings.length === 0) {
      up.on('data', (chunk: Buffer) => reader.push(chunk));
      up.on('end', () => reader.end());
      up.on('close', () => {
        if (!ended) reader.cut(cutReason());
      });
      return;
    }
    const decoders = codings.reverse().map((c) => (DECODERS[c] as () => Transform)());
    for (let i = 0; i + 1 < decoders.length; i++) decoders[i]?.pipe(decoders[i + 1] as Transform);
    const first = decoders[0] as Transform;
    const last = decoders[decoders.length - 1] as Transform;
    last.on('data', (chunk: Buffer) => reader.push(chunk));
    this.#done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        reader.cut('the answer could not be decoded in time');
        resolve();
      }, SETTLE_MS);
      timer.unref();
      const settle = (how: () => void) => {
        clearTimeout(timer);
        how();
        resolve();
      };
      last.on('end', () => settle(() => (ended ? reader.end() : reader.cut(cutReason()))));
      for (const d of decoders)
        d.on('error', (e) => settle(() => reader.cut(`the answer could not be decoded (${e.message})`)));
      up.on('close', () => {
        if (!ended) settle(() => reader.cut(cutReason()));
      });
    });
    up.on('data', (chunk: Buffer) => first.write(chunk));
    up.on('end', () => first.end());
  }

  /** Settles once the usage is read (bounded: a side decoder gets SETTLE_MS). */
  settled(): Promise<void> {
    return this.#done;
  }

  /** The usage read, priced; undefined when the answer was not a success. */
  usage(): RequestUsage | undefined {
    const reader = this.#reader;
    if (!reader) return undefined;
    const read = reader.result();
    const model = read.model ?? 'unknown';
    const out: RequestUsage = {
      api: this.api,
      model,
      inputTokens: read.inputTokens,
      outputTokens: read.outputTokens,
      cacheReadTokens: read.cacheReadTokens,
      cacheWriteTokens: read.cacheWriteTokens,
      costUsd: costOf(read, chargedPrice(model, this.prices)),
    };
    if (read.incomplete) out.incomplete = read.incomplete;
    return out;
  }
}
