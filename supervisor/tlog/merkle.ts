// The RFC 6962 Merkle tree (RFC 9162 §2.1): leaf and node hashing, the subtrees an
// inclusion or consistency proof is made of, and the verification algorithms of RFC 9162
// §2.1.3.2 and §2.1.4.2. Storage is the caller's: a tree is read as its perfect subtrees
// (level, index), so a store keeps about 2n hashes and a proof reads O(log² n) of them.

import { createHash, timingSafeEqual } from 'node:crypto';

export const HASH_SIZE = 32;

/** SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

/** The root of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** A perfect subtree: the 2^level leaves starting at index × 2^level. */
export interface NodeId {
  level: number;
  index: number;
}

/** A span of leaves [start, end) whose Merkle Tree Hash a proof carries. */
export interface LeafRange {
  start: number;
  end: number;
}

function checkSize(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer`);
}

/** The largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * The perfect subtrees whose right fold is MTH(D[start:end]), left to right, for a range as
 * the RFC's recursion produces it (start a multiple of the largest power of two ≤ its size).
 */
export function rangeNodes(range: LeafRange): NodeId[] {
  const out: NodeId[] = [];
  let { start } = range;
  const { end } = range;
  if (end <= start) throw new RangeError(`empty leaf range [${start}, ${end})`);
  while (start < end) {
    const n = end - start;
    const size = isPowerOfTwo(n) ? n : splitPoint(n);
    if (start % size !== 0) throw new RangeError(`leaf range [${range.start}, ${end}) is not aligned`);
    out.push({ level: Math.log2(size), index: start / size });
    start += size;
  }
  return out;
}

/** MTH of a range from the hashes of its rangeNodes (right fold: H(a, H(b, c))). */
export function foldRange(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) throw new RangeError('no hashes to fold');
  let acc: Buffer = Buffer.from(hashes[hashes.length - 1]!);
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]): the ranges whose hashes form the inclusion proof, in order. */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  checkSize('index', index);
  checkSize('size', size);
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const out: LeafRange[] = [];
  const walk = (m: number, start: number, n: number): void => {
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, k);
      out.push({ start: start + k, end: start + n });
    } else {
      walk(m - k, start + k, n - k);
      out.push({ start, end: start + k });
    }
  };
  walk(index, 0, size);
  return out;
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]): the ranges of the consistency proof from size m to n. */
export function consistencyRanges(m: number, n: number): LeafRange[] {
  checkSize('old size', m);
  checkSize('new size', n);
  if (m > n) throw new RangeError(`old size ${m} is larger than new size ${n}`);
  if (m === 0 || m === n) return [];
  const out: LeafRange[] = [];
  const sub = (mm: number, start: number, nn: number, whole: boolean): void => {
    if (mm === nn) {
      if (!whole) out.push({ start, end: start + nn });
      return;
    }
    const k = splitPoint(nn);
    if (mm <= k) {
      sub(mm, start, k, whole);
      out.push({ start: start + k, end: start + nn });
    } else {
      sub(mm - k, start + k, nn - k, false);
      out.push({ start, end: start + k });
    }
  };
  sub(m, 0, n, true);
  return out;
}

/** Every perfect subtree the ranges need, without repeats. */
export function nodesFor(ranges: readonly LeafRange[]): NodeId[] {
  const seen = new Set<string>();
  const out: NodeId[] = [];
  for (const r of ranges) {
    for (const id of rangeNodes(r)) {
      const key = `${id.level}/${id.index}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(id);
    }
  }
  return out;
}

/** The hash of each range, reading perfect subtrees through `node`. */
export function hashRanges(ranges: readonly LeafRange[], node: (id: NodeId) => Uint8Array): Buffer[] {
  return ranges.map((r) => foldRange(rangeNodes(r).map(node)));
}

/** The root of a tree of `size` leaves (EMPTY_ROOT for 0). */
export function rootOf(size: number, node: (id: NodeId) => Uint8Array): Buffer {
  checkSize('size', size);
  return size === 0 ? Buffer.from(EMPTY_ROOT) : foldRange(rangeNodes({ start: 0, end: size }).map(node));
}

/**
 * The perfect subtrees completed by appending leaves at `size`, `size + 1`, …: each leaf
 * (level 0) and every parent it completes. `node` reads subtrees that already exist.
 */
export function appendNodes(
  size: number,
  leafHashes: readonly Uint8Array[],
  node: (id: NodeId) => Uint8Array,
): Array<NodeId & { hash: Buffer }> {
  checkSize('size', size);
  const added = new Map<string, Buffer>();
  const out: Array<NodeId & { hash: Buffer }> = [];
  const read = (id: NodeId): Uint8Array => added.get(`${id.level}/${id.index}`) ?? node(id);
  leafHashes.forEach((h, i) => {
    let level = 0;
    let index = size + i;
    let hash: Buffer = Buffer.from(h);
    for (;;) {
      added.set(`${level}/${index}`, hash);
      out.push({ level, index, hash });
      if (index % 2 === 0) break;
      hash = nodeHash(read({ level, index: index - 1 }), hash);
      level++;
      index = (index - 1) / 2;
    }
  });
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function isOdd(n: number): boolean {
  return n % 2 === 1;
}

const half = (n: number): number => Math.floor(n / 2);

/** RFC 9162 §2.1.3.2: does `proof` put the leaf with `hash` at `index` in the tree with `root`? */
export function verifyInclusion(
  index: number,
  size: number,
  hash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (proof.some((p) => p.length !== HASH_SIZE)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = hash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(r, root);
}

/** RFC 9162 §2.1.4.2: is the tree of size `second` (root2) an append-only extension of `first` (root1)? */
export function verifyConsistency(
  first: number,
  second: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second)
    return false;
  if (proof.some((p) => p.length !== HASH_SIZE)) return false;
  if (first === second) return proof.length === 0 && equal(root1, root2);
  if (first === 0) return proof.length === 0; // every tree extends the empty one
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [root1, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(fr, root1) && equal(sr, root2);
}
