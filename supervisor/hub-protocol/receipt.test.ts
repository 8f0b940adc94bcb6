import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import type { HubLeaf, HubReceipt } from '../api/hub.ts';
import { formatCheckpoint } from '../tlog/checkpoint.ts';
import {
  appendNodes,
  consistencyRanges,
  hashRanges,
  inclusionRanges,
  type NodeId,
  rootOf,
} from '../tlog/merkle.ts';
import { noteSigner, signNote } from '../tlog/note.ts';
import { hubLeafHash, ReceiptError, type ReceiptExpectation, verifyReceipt } from './receipt.ts';

const origin = 'hub.test/log';
const signer = noteSigner(origin, generateKeyPairSync('ed25519').privateKey);
const device = 'd'.repeat(32);

/** A log kept the way the hub keeps it, issuing receipts. */
function makeLog(sign = signer) {
  const nodes = new Map<string, Buffer>();
  const node = (id: NodeId) => nodes.get(`${id.level}/${id.index}`)!;
  let size = 0;
  return {
    append(leaf: HubLeaf, seen: number): HubReceipt {
      for (const n of appendNodes(size, [hubLeafHash(leaf)], node))
        nodes.set(`${n.level}/${n.index}`, n.hash);
      const index = size++;
      const b64 = (l: Buffer[]) => l.map((b) => b.toString('base64'));
      const cp = formatCheckpoint({ origin, size, root: rootOf(size, node), extensions: [] });
      return {
        checkpoint: signNote(cp, [sign]),
        leaf,
        leafIndex: index,
        treeSize: size,
        inclusion: b64(hashRanges(inclusionRanges(index, size), node)),
        consistency:
          seen > 0 && seen < size
            ? { fromSize: seen, proof: b64(hashRanges(consistencyRanges(seen, size), node)) }
            : null,
      };
    },
    root: () => rootOf(size, node),
  };
}

test('a device checks each receipt against the tree it saw last', () => {
  const log = makeLog();
  let previous: ReceiptExpectation['previous'] = null;
  for (let seq = 10; seq <= 100; seq += 10) {
    const leaf = { device, seq, hash: seq.toString(16).padStart(64, '0'), received: 1_700_000_000_000 + seq };
    const receipt = log.append(leaf, previous?.size ?? 0);
    log.append({ ...leaf, device: 'e'.repeat(32) }, 0); // another device's batch in between
    previous = verifyReceipt(receipt, { verifier: signer, origin, device, seq, hash: leaf.hash, previous });
  }
  assert.equal(previous?.size, 19);
});

test('forged, foreign or rewritten receipts are refused with the reason', () => {
  const log = makeLog();
  const leaf = { device, seq: 5, hash: 'a'.repeat(64), received: 1 };
  const first = log.append(leaf, 0);
  const expect: ReceiptExpectation = {
    verifier: signer,
    origin,
    device,
    seq: 5,
    hash: leaf.hash,
    previous: null,
  };
  const tree = verifyReceipt(first, expect);
  const second = log.append({ ...leaf, seq: 6 }, 1);
  const next: ReceiptExpectation = { ...expect, seq: 6, previous: tree };
  verifyReceipt(second, next);
  const refuse = (r: HubReceipt, e: ReceiptExpectation, pattern: RegExp) =>
    assert.throws(
      () => verifyReceipt(r, e),
      (x: unknown) => x instanceof ReceiptError && pattern.test(x.message),
    );
  refuse({ ...second, leaf: { ...second.leaf, received: 2 } }, next, /inclusion proof/);
  refuse({ ...second, leafIndex: 0 }, next, /inclusion proof/);
  refuse(second, { ...next, hash: 'b'.repeat(64) }, /not for the batch sent/);
  refuse({ ...second, consistency: null }, next, /no consistency proof/);
  refuse({ ...second, checkpoint: second.checkpoint.replace('\n2\n', '\n3\n') }, next, /not signed/);
  const other = noteSigner(origin, generateKeyPairSync('ed25519').privateKey);
  refuse(makeLog(other).append(leaf, 0), expect, /not signed/);
  refuse(first, { ...next, seq: 5, previous: { size: 2, root: log.root() } }, /shrank/);
  // A hub that rewrote leaf 0 and re-signed: its new tree does not extend the old one.
  const rewritten = makeLog();
  rewritten.append({ ...leaf, hash: 'f'.repeat(64) }, 0);
  refuse(rewritten.append({ ...leaf, seq: 6 }, 1), next, /does not extend/);
});
