// A registry answer read whole, bounded, and decoded when it came compressed anyway (gzip,
// deflate, br): a packument is rewritten, so all of it is needed, and never more than the cap.

import type http from 'node:http';
import type { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';

/** The largest packument Warden rewrites (decoded); npm's largest full ones are ~40 MiB. */
export const MAX_PACKUMENT_BYTES = 64 * 1024 * 1024;

const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createUnzip(),
  br: () => zlib.createBrotliDecompress(),
};

export type BodyRead = { ok: true; body: Buffer; wireBytes: number } | { ok: false; reason: string };

export function readAnswer(up: http.IncomingMessage, limit = MAX_PACKUMENT_BYTES): Promise<BodyRead> {
  const codings = String(up.headers['content-encoding'] ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  const unknown = codings.find((c) => !DECODERS[c]);
  if (unknown || codings.length > 2) {
    up.resume();
    return Promise.resolve({
      ok: false,
      reason: `the registry answered in the content encoding "${(unknown ?? codings.join(',')).slice(0, 40)}", which Warden cannot read`,
    });
  }
  return new Promise((resolve) => {
    let wireBytes = 0;
    let bytes = 0;
    let done = false;
    const chunks: Buffer[] = [];
    const finish = (r: BodyRead) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    up.on('data', (c: Buffer) => {
      wireBytes += c.length;
    });
    let stream: Readable = up;
    for (const c of [...codings].reverse()) {
      const d = (DECODERS[c] as () => Transform)();
      d.on('error', (e) =>
        finish({ ok: false, reason: `the registry's answer could not be decoded (${e.message})` }),
      );
      stream = stream.pipe(d);
    }
    stream.on('data', (c: Buffer) => {
      if (done) return;
      bytes += c.length;
      if (bytes > limit) {
        up.destroy();
        finish({
          ok: false,
          reason: `the packument is larger than ${limit / 1024 / 1024} MiB decoded, the most Warden rewrites`,
        });
        return;
      }
      chunks.push(c);
    });
    stream.on('end', () => finish({ ok: true, body: Buffer.concat(chunks), wireBytes }));
    up.on('error', (e) => finish({ ok: false, reason: `the registry's answer failed (${e.message})` }));
    up.on('close', () => {
      if (!up.complete) finish({ ok: false, reason: 'the registry cut its answer' });
    });
  });
}
