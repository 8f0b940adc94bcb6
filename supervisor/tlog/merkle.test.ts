import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  appendNodes,
  consistencyRanges,
  EMPTY_ROOT,
  hashRanges,
  inclusionRanges,
  leafHash,
  type NodeId,
  nodeHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';

// The RFC 6962 test vectors published with certificate-transparency: eight leaves and the
// root of each prefix of them.
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const h = (x: string) => Buffer.from(x, 'hex');

/** A tree kept in a map of perfect subtrees, the way a store keeps it. */
class MapTree {
  readonly nodes = new Map<string, Buffer>();
  size = 0;
  readonly node = (id: NodeId): Buffer => {
    const hash = this.nodes.get(`${id.level}/${id.index}`);
    if (!hash) throw new Error(`missing node ${id.level}/${id.index}`);
    return hash;
  };
  append(leaves: Uint8Array[]): void {
    for (const n of appendNodes(this.size, leaves.map(leafHash), this.node)) {
      this.nodes.set(`${n.level}/${n.index}`, n.hash);
    }
    this.size += leaves.length;
  }
  root(size = this.size): Buffer {
    return rootOf(size, this.node);
  }
  inclusion(index: number, size = this.size): Buffer[] {
    return hashRanges(inclusionRanges(index, size), this.node);
  }
  consistency(m: number, n = this.size): Buffer[] {
    return hashRanges(consistencyRanges(m, n), this.node);
  }
}

test('roots of the RFC 6962 vectors, whether the leaves come one by one or all at once', () => {
  const one = new MapTree();
  for (const leaf of LEAVES) {
    one.append([h(leaf)]);
    assert.equal(one.root().toString('hex'), ROOTS[one.size - 1]);
  }
  const all = new MapTree();
  all.append(LEAVES.map(h));
  for (let n = 1; n <= 8; n++) assert.equal(all.root(n).toString('hex'), ROOTS[n - 1]);
  assert.equal(rootOf(0, all.node).toString('hex'), EMPTY_ROOT.toString('hex'));
  assert.equal(
    EMPTY_ROOT.toString('hex'),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
});

test('inclusion and consistency proofs of the published vectors', () => {
  const tree = new MapTree();
  tree.append(LEAVES.map(h));
  const inc = tree.inclusion(5, 8).map((b) => b.toString('hex'));
  assert.deepEqual(inc, [
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ]);
  assert.ok(verifyInclusion(5, 8, leafHash(h(LEAVES[5]!)), inc.map(h), h(ROOTS[7]!)));
  assert.ok(!verifyInclusion(4, 8, leafHash(h(LEAVES[5]!)), inc.map(h), h(ROOTS[7]!)));
  assert.deepEqual(tree.inclusion(2, 3), [h(ROOTS[1]!)]);

  const cons = tree.consistency(6, 8).map((b) => b.toString('hex'));
  assert.deepEqual(cons, [
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ]);
  assert.ok(verifyConsistency(6, 8, cons.map(h), h(ROOTS[5]!), h(ROOTS[7]!)));
  assert.ok(!verifyConsistency(6, 8, cons.map(h), h(ROOTS[4]!), h(ROOTS[7]!)));
  assert.deepEqual(
    tree.consistency(2, 5).map((b) => b.toString('hex')),
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  );
  assert.ok(verifyConsistency(2, 5, tree.consistency(2, 5), h(ROOTS[1]!), h(ROOTS[4]!)));
});

test('every inclusion and consistency proof for sizes 1..64 verifies, and any change fails it', () => {
  const tree = new MapTree();
  const leaves = Array.from({ length: 64 }, (_, i) => Buffer.from(`leaf ${i}`));
  tree.append(leaves.slice(0, 13));
  tree.append(leaves.slice(13));
  const roots = Array.from({ length: 65 }, (_, n) => tree.root(n));
  const flip = (b: Buffer) => {
    const c = Buffer.from(b);
    c[7]! ^= 1;
    return c;
  };
  let checked = 0;
  for (let n = 1; n <= 64; n++) {
    for (let i = 0; i < n; i++) {
      const proof = tree.inclusion(i, n);
      const lh = leafHash(leaves[i]!);
      assert.ok(verifyInclusion(i, n, lh, proof, roots[n]!), `inclusion ${i} in ${n}`);
      assert.ok(proof.length <= Math.ceil(Math.log2(n)));
      assert.ok(!verifyInclusion(i, n, leafHash(Buffer.from('other')), proof, roots[n]!));
      assert.ok(!verifyInclusion(i, n, lh, proof, flip(roots[n]!)));
      if (proof.length > 0) {
        assert.ok(!verifyInclusion(i, n, lh, [...proof.slice(0, -1), flip(proof.at(-1)!)], roots[n]!));
        assert.ok(!verifyInclusion(i, n, lh, proof.slice(0, -1), roots[n]!));
        assert.ok(!verifyInclusion((i + 1) % n === i ? i + 1 : (i + 1) % n, n, lh, proof, roots[n]!));
      }
      assert.ok(!verifyInclusion(i, n, lh, [...proof, roots[1]!], roots[n]!));
      checked++;
    }
    for (let m = 1; m <= n; m++) {
      const proof = tree.consistency(m, n);
      assert.ok(verifyConsistency(m, n, proof, roots[m]!, roots[n]!), `consistency ${m} → ${n}`);
      if (m < n) {
        assert.ok(!verifyConsistency(m, n, proof, flip(roots[m]!), roots[n]!));
        assert.ok(!verifyConsistency(m, n, proof, roots[m]!, flip(roots[n]!)));
        assert.ok(
          !verifyConsistency(m, n, [...proof.slice(0, -1), flip(proof.at(-1)!)], roots[m]!, roots[n]!),
        );
        assert.ok(!verifyConsistency(m, n, proof.slice(1), roots[m]!, roots[n]!));
        if (m > 1) assert.ok(!verifyConsistency(m - 1, n, proof, roots[m - 1]!, roots[n]!));
      }
      checked++;
    }
  }
  assert.equal(checked, 64 * 65);
});

test('a rewritten tree fails the consistency check against its old root', () => {
  const honest = new MapTree();
  honest.append(Array.from({ length: 20 }, (_, i) => Buffer.from(`b${i}`)));
  const forged = new MapTree();
  forged.append(Array.from({ length: 20 }, (_, i) => Buffer.from(i === 3 ? 'rewritten' : `b${i}`)));
  forged.append([Buffer.from('b20')]);
  assert.ok(!verifyConsistency(20, 21, forged.consistency(20, 21), honest.root(20), forged.root(21)));
});

test('hostile proof inputs are refused, not thrown', () => {
  const one = leafHash(Buffer.from('x'));
  assert.equal(verifyInclusion(0, 1, one, [], one), true);
  assert.equal(verifyInclusion(1, 1, one, [], one), false);
  assert.equal(verifyInclusion(-1, 4, one, [one, one], one), false);
  assert.equal(verifyInclusion(0, 2, one, [Buffer.alloc(31)], one), false);
  assert.equal(verifyInclusion(Number.NaN, 2, one, [one], one), false);
  assert.equal(verifyConsistency(3, 2, [], one, one), false);
  assert.equal(verifyConsistency(2, 2, [one], one, one), false);
  assert.equal(verifyConsistency(1, 4, [], one, one), false);
  assert.throws(() => inclusionRanges(4, 4), RangeError);
  assert.throws(() => consistencyRanges(5, 4), RangeError);
});

test('a proof in a 64k-leaf tree is 16 hashes and checks in under a millisecond (1M: npm run bench)', () => {
  // The perfect subtrees level by level (faster to build than through appendNodes).
  const size = 1 << 16;
  const levels: Buffer[][] = [Array.from({ length: size }, (_, i) => leafHash(Buffer.from(String(i))))];
  while (levels.at(-1)!.length > 1) {
    const below = levels.at(-1)!;
    levels.push(
      Array.from({ length: below.length / 2 }, (_, i) => nodeHash(below[2 * i]!, below[2 * i + 1]!)),
    );
  }
  const node = (id: NodeId) => levels[id.level]![id.index]!;
  const root = rootOf(size, node);
  assert.deepEqual(root, levels[16]![0]);
  const index = 47_777;
  const proof = hashRanges(inclusionRanges(index, size), node);
  assert.equal(proof.length, 16);
  const lh = leafHash(Buffer.from(String(index)));
  // How fast a check is belongs to the bench (npm run bench -- --only=hub), not to a timed test.
  assert.ok(verifyInclusion(index, size, lh, proof, root));
});
