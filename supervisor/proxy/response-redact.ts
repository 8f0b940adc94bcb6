// The answer of a host that a granted secret is bound to goes to the agent through here:
// real values in its headers and body are overwritten (same length) and each is recorded as
// `secret.redacted`. The request asked for `Accept-Encoding: identity`; an answer that is
// compressed anyway is decoded (gzip, deflate, br) and sent on uncompressed, and one in an
// encoding that cannot be read is refused, since it cannot be searched.

import type http from 'node:http';
import { pipeline, Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { RequestFacts } from '../api/index.ts';
import type { ProxyServices, ResponseRedactor, SandboxContext } from './context.ts';
import { endToEndRawHeaders } from './hop-headers.ts';

/**
 * What a request to a host whose answer is searched asks for: the whole answer, uncompressed.
 * Compression would hide a value from the search, and a byte range (Range, If-Range) would
 * let the agent read an echoed value slice by slice, no slice holding it whole.
 */
export function askForSearchableAnswer(headers: Record<string, string | string[]>): void {
  headers['accept-encoding'] = 'identity';
  delete headers.range;
  delete headers['if-range'];
}

/** Records each (secret, where) once per exchange as a `secret.redacted` event. */
export function redactionReporter(
  svc: ProxyServices,
  sandbox: SandboxContext,
  facts: RequestFacts,
): (secret: string, where: string) => void {
  const seen = new Set<string>();
  return (secret, where) => {
    const key = `${secret}\0${where}`;
    if (seen.has(key)) return;
    seen.add(key);
    const { sandboxId, user } = sandbox.identity;
    svc.emit({
      type: 'secret.redacted',
      time: new Date().toISOString(),
      sandboxId,
      user,
      secret,
      host: facts.host,
      where,
      method: facts.method,
      path: facts.path,
    });
  };
}

/** A Transform that passes a stream through a redactor. */
export function redactingTransform(redactor: ResponseRedactor, onFound: (secret: string) => void): Transform {
  const stream = redactor.stream(onFound);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const out = stream.push(chunk);
      done(null, out.length > 0 ? out : undefined);
    },
    flush(done) {
      const out = stream.end();
      done(null, out.length > 0 ? out : undefined);
    },
  });
}

const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createUnzip(),
  br: () => zlib.createBrotliDecompress(),
};

function hasBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304;
}

function codings(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

/**
 * Relay `up` to `res` with every injected value redacted. Returns a reason to refuse the
 * answer (nothing has been written then) when its encoding cannot be read.
 */
export function relayRedacted(
  up: http.IncomingMessage,
  res: http.ServerResponse,
  facts: RequestFacts,
  redactor: ResponseRedactor,
  report: (secret: string, where: string) => void,
  counters: { bytesDown: number },
): string | undefined {
  const status = up.statusCode ?? 502;
  let raw = endToEndRawHeaders(up.rawHeaders, up.headers.connection);
  const body = hasBody(facts.method, status);
  const encodings = body ? codings(up.headers['content-encoding']) : [];
  // Node removes only the chunking: any other transfer coding leaves the body encoded.
  const transfer = codings(up.headers['transfer-encoding']).find((c) => c !== 'chunked');
  if (transfer) {
    return `${facts.host} answered in the transfer coding "${transfer.slice(0, 40)}", which Warden does not decode, so it cannot keep the injected secret out of it`;
  }
  const unknown = encodings.find((c) => !DECODERS[c]);
  if (unknown) {
    return `${facts.host} answered in the content encoding "${unknown.slice(0, 40)}", which Warden cannot read to keep the injected secret out of it; the request asked for identity (gzip, deflate and br are decoded)`;
  }
  for (const { secret, header } of redactor.headers(raw)) report(secret, `header:${header}`);
  if (encodings.length > 0) {
    // Sent on decoded: its length and encoding are no longer the upstream's.
    raw = raw.filter((_, i) => {
      const name = (raw[i - (i % 2)] as string).toLowerCase();
      return name !== 'content-encoding' && name !== 'content-length';
    });
  }
  res.writeHead(status, up.statusMessage, raw);
  up.on('data', (chunk: Buffer) => {
    counters.bytesDown += chunk.length;
  });
  const decoders = [...encodings].reverse().map((c) => (DECODERS[c] as () => Transform)());
  const redact = redactingTransform(redactor, (secret) => report(secret, 'body'));
  pipeline([up, ...decoders, redact, res], () => {});
  return undefined;
}
