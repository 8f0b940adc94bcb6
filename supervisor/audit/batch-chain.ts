// The chain hashes of an encoded batch (encode.ts), computed from its bytes: by the daemon's
// thread ahead of the write, or by the writer when the batch was not chained onto the head it
// finds. One SHA-256 per record over prev_hash followed by the canonical row.

import { hash as digest } from 'node:crypto';
import { put, putBytes, putInteger } from './bytes.ts';
import { type EncodedBatch, OFFSETS } from './encode.ts';

const CTX_HEADS = new Map<string, Buffer>();

/**
 * The hash of every event of `batch` chained onto `head`: SHA-256 over prev_hash followed by
 * the canonical row, which is `{"ctx":` + the writer's context text + inner + prev_hash +
 * middle + seq + tail (chain.ts canonicalRow, assembled from the encoded bytes).
 */
export function chainHashes(
  batch: EncodedBatch,
  head: { seq: number; hash: string },
  ctxText: string,
): string[] {
  let ctxHead = CTX_HEADS.get(ctxText);
  if (!ctxHead) {
    ctxHead = Buffer.from(`{"ctx":${ctxText}`);
    if (CTX_HEADS.size < 16) CTX_HEADS.set(ctxText, ctxHead);
  }
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.length);
  const { offsets } = batch;
  const hashes: string[] = new Array(offsets.length / OFFSETS);
  // The input of one hash: prev_hash, then the row. prev_hash is hex (64 ASCII characters),
  // so `{"ctx":…` always starts at the same place and is written once.
  const rowAt = head.hash.length;
  let scratch = Buffer.allocUnsafe(0);
  let prevHash = head.hash;
  for (let i = 0, o = 0; o < offsets.length; i++, o += OFFSETS) {
    const start = offsets[o] as number;
    const middle = offsets[o + 2] as number;
    const tail = offsets[o + 3] as number;
    const end = offsets[o + 4] as number;
    if (prevHash.length !== rowAt) throw new TypeError('chainHashes: a hash is not 64 hex digits');
    const need = rowAt + ctxHead.length + (end - start) + rowAt + 16;
    if (scratch.length < need) {
      scratch = Buffer.allocUnsafe(Math.max(8192, 2 * need));
      ctxHead.copy(scratch, rowAt);
    }
    put(scratch, 0, prevHash);
    let n = rowAt + ctxHead.length;
    n += bytes.copy(scratch, n, start, middle);
    n = put(scratch, n, prevHash);
    n = putBytes(scratch, n, bytes, middle, tail);
    n = putInteger(scratch, n, head.seq + i + 1);
    n = putBytes(scratch, n, bytes, tail, end);
    prevHash = digest('sha256', scratch.subarray(0, n), 'hex');
    hashes[i] = prevHash;
  }
  return hashes;
}
