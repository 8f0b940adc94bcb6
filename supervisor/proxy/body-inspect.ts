// The request body of a sandbox that holds secret placeholders, searched as it streams. A
// body with a Content-Encoding is decoded first (gzip, deflate, br), so a compressed
// placeholder is found too; one in an encoding Warden cannot read is refused before a byte
// goes upstream, and one that expands beyond a bound is refused when it does.
// Findings of the decoded stream may arrive a chunk late: the caller ends the upstream
// request only after `end()`, so a body carrying a placeholder is never delivered whole.

import type { Transform } from 'node:stream';
import zlib from 'node:zlib';

export type Found = Array<{ secret: string; where: string }>;

export interface BodyScanner {
  push(chunk: Buffer): Found;
  end(): Found;
}

export interface BodyCheck {
  /** What this chunk (or an earlier one, once decoded) revealed. */
  push(chunk: Buffer): Found;
  /** Everything left, once the whole body has been searched; rejects when it cannot be read. */
  end(): Promise<Found>;
}

/** Most decoded bytes searched in one compressed body. */
export const MAX_DECODED_BODY = 256 * 1024 * 1024;

const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createUnzip(),
  br: () => zlib.createBrotliDecompress(),
};

function codings(value: string | string[] | undefined): string[] {
  return (Array.isArray(value) ? value.join(',') : (value ?? ''))
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

/** A check for a body with this Content-Encoding, or the reason it cannot be read. */
export function openBodyCheck(
  scanner: BodyScanner,
  contentEncoding: string | string[] | undefined,
): BodyCheck | { unreadable: string } {
  const encodings = codings(contentEncoding);
  if (encodings.length === 0) return { push: (c) => scanner.push(c), end: async () => scanner.end() };
  const unknown = encodings.find((c) => !DECODERS[c]);
  if (unknown) {
    return {
      unreadable: `the request body is encoded with "${unknown.slice(0, 40)}", which Warden cannot read to check it for secret placeholders; send it uncompressed or with gzip, deflate or br`,
    };
  }
  const chain = [...encodings].reverse().map((c) => (DECODERS[c] as () => Transform)());
  for (let i = 0; i + 1 < chain.length; i++) (chain[i] as Transform).pipe(chain[i + 1] as Transform);
  const first = chain[0] as Transform;
  const last = chain[chain.length - 1] as Transform;
  let pending: Found = [];
  let decoded = 0;
  let failure: string | undefined;
  const fail = (reason: string) => {
    failure ??= reason;
    for (const z of chain) z.destroy();
  };
  last.on('data', (chunk: Buffer) => {
    decoded += chunk.length;
    if (decoded > MAX_DECODED_BODY) {
      return fail(
        `the request body expands beyond ${MAX_DECODED_BODY} bytes when decoded; Warden does not search more for secret placeholders: send it in parts`,
      );
    }
    pending.push(...scanner.push(chunk));
  });
  const done = new Promise<void>((resolve) => {
    last.once('end', resolve);
    last.once('close', resolve);
    for (const z of chain) {
      z.once('error', (error: Error) => {
        fail(`the request body could not be decoded as ${encodings.join(', ')} (${error.message})`);
        resolve();
      });
    }
  });
  const take = (): Found => {
    const out = pending;
    pending = [];
    return out;
  };
  return {
    push(chunk) {
      if (!failure) first.write(chunk);
      return take();
    },
    async end() {
      if (!failure) first.end();
      await done;
      if (failure) throw new Error(failure);
      return [...take(), ...scanner.end()];
    },
  };
}
