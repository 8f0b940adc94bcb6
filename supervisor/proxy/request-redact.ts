// The body of a request that spec.redact covers (one to a model API host): decoded (gzip,
// deflate, br), scanned and masked as it streams, and encoded again as it came. The masked
// body's length is not known in advance, so it goes upstream chunked. A `block` match or a
// body that cannot be decoded stops the chain with an error the exchange turns into its answer.

import type http from 'node:http';
import { type Readable, Transform, type Writable } from 'node:stream';
import zlib from 'node:zlib';
import type { RequestFacts } from '../api/index.ts';
import { RedactionBlocked } from '../redact/index.ts';
import { MAX_DECODED_BODY } from './body-inspect.ts';
import type { ProxyServices, SandboxContext } from './context.ts';

const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createUnzip(),
  br: () => zlib.createBrotliDecompress(),
};

const ENCODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGzip(),
  'x-gzip': () => zlib.createGzip(),
  deflate: () => zlib.createDeflate(),
  br: () => zlib.createBrotliCompress(),
};

export interface RequestRedaction {
  /** Where the client's body is written. */
  input: Writable;
  /** The body to send upstream. */
  output: Readable;
  /** How many of each kind were masked (and the kind that blocked it, if one did). */
  counts(): Record<string, number>;
  provider: 'anthropic' | 'openai';
}

function codings(value: string | string[] | undefined): string[] {
  return (Array.isArray(value) ? value.join(',') : (value ?? ''))
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

/**
 * The redaction of this request's body, undefined when spec.redact does not cover it, or why
 * its body cannot be read. `onError` gets a RedactionBlocked or the reason it failed.
 */
export function openRequestRedaction(
  svc: ProxyServices,
  sandbox: SandboxContext,
  facts: RequestFacts,
  req: http.IncomingMessage,
  onError: (error: RedactionBlocked | string) => void,
): RequestRedaction | { unreadable: string } | undefined {
  const opening = svc.redaction?.open(
    sandbox.identity.sandboxId,
    sandbox.policy(),
    facts,
    req.headers['content-type'],
  );
  if (!opening) return undefined;
  const encodings = codings(req.headers['content-encoding']);
  const unknown = encodings.find((c) => !DECODERS[c]);
  if (unknown) {
    return {
      unreadable: `the request body is encoded with "${unknown.slice(0, 40)}", which Warden cannot read to apply spec.redact; send it uncompressed or with gzip, deflate or br`,
    };
  }
  const { scanner } = opening;
  const blockedBy: Record<string, number> = {};
  let decoded = 0;
  const scan = new Transform({
    transform(chunk: Buffer, _enc, done) {
      decoded += chunk.length;
      if (decoded > MAX_DECODED_BODY) {
        return done(
          new Error(
            `the request body expands beyond ${MAX_DECODED_BODY} bytes when decoded; Warden does not redact more: send it in parts`,
          ),
        );
      }
      try {
        const out = scanner.push(chunk);
        done(null, out.length > 0 ? out : undefined);
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done) {
      try {
        const out = scanner.end();
        done(null, out.length > 0 ? out : undefined);
      } catch (error) {
        done(error as Error);
      }
    },
  });
  const decoders = [...encodings].reverse().map((c) => (DECODERS[c] as () => Transform)());
  const encoders = encodings.map((c) => (ENCODERS[c] as () => Transform)());
  const stages: Array<Transform> = [...decoders, scan, ...encoders];
  let reported = false;
  const report = (error: Error) => {
    if (reported) return;
    reported = true;
    for (const stage of stages) stage.destroy();
    if (error instanceof RedactionBlocked) {
      blockedBy[error.kind] = (blockedBy[error.kind] ?? 0) + 1;
      return onError(error);
    }
    const what = decoders.length > 0 ? ` (decoded as ${encodings.join(', ')})` : '';
    onError(`the request body could not be read for spec.redact${what}: ${error.message}`);
  };
  stages.forEach((stage, i) => {
    stage.on('error', report);
    const next = stages[i + 1];
    if (next) stage.pipe(next);
  });
  return {
    input: stages[0] as Transform,
    output: stages[stages.length - 1] as Transform,
    counts: () => {
      const out = { ...scanner.counts };
      for (const [k, n] of Object.entries(blockedBy)) out[k] = (out[k] ?? 0) + n;
      return out;
    },
    provider: opening.provider,
  };
}
