// A receipt's Merkle leaf (what the hub appends per accepted batch) and the check a device
// runs on every receipt: the checkpoint is signed by the hub's key and names its log, the
// leaf is the batch the device sent, the inclusion proof puts it in that tree, and the tree
// is an append-only extension of the one the device saw last.

import type { HubConsistency, HubLeaf, HubReceipt } from '../api/hub.ts';
import { parseCheckpoint } from '../tlog/checkpoint.ts';
import { leafHash, verifyConsistency, verifyInclusion } from '../tlog/merkle.ts';
import { type NoteVerifier, openNote } from '../tlog/note.ts';

export class ReceiptError extends Error {
  override readonly name = 'ReceiptError';
}

/** The bytes of a leaf: a versioned line per field, so no two leaves share an encoding. */
export function leafBytes(leaf: HubLeaf): Buffer {
  return Buffer.from(`warden-hub-leaf/v1\n${leaf.device}\n${leaf.seq}\n${leaf.hash}\n${leaf.received}\n`);
}

export function hubLeafHash(leaf: HubLeaf): Buffer {
  return leafHash(leafBytes(leaf));
}

/** A tree the device has verified: its size and root. */
export interface SeenTree {
  size: number;
  root: Buffer;
}

export interface ReceiptExpectation {
  verifier: NoteVerifier;
  origin: string;
  /** The batch the receipt must be for. */
  device: string;
  seq: number;
  hash: string;
  /** The last tree this device verified (null: none yet). */
  previous: SeenTree | null;
}

const b64 = (list: readonly string[]) => list.map((x) => Buffer.from(x, 'base64'));

/** Check a consistency proof from `previous` to the tree (size, root); throws ReceiptError. */
export function checkConsistency(
  previous: SeenTree | null,
  size: number,
  root: Buffer,
  consistency: HubConsistency | null,
): void {
  if (!previous || previous.size === 0) return;
  if (size < previous.size) {
    throw new ReceiptError(
      `the hub's tree shrank from ${previous.size} to ${size} leaves: the hub rewrote its log`,
    );
  }
  if (size === previous.size) {
    if (!root.equals(previous.root)) {
      throw new ReceiptError(`the hub signed two different trees of ${size} leaves: the hub rewrote its log`);
    }
    return;
  }
  if (!consistency || consistency.fromSize !== previous.size) {
    throw new ReceiptError(`the receipt has no consistency proof from the tree of ${previous.size} leaves`);
  }
  if (!verifyConsistency(previous.size, size, b64(consistency.proof), previous.root, root)) {
    throw new ReceiptError(
      `the hub's tree of ${size} leaves does not extend the one of ${previous.size} leaves: the hub rewrote its log`,
    );
  }
}

/** Open a signed checkpoint of the hub's log; throws ReceiptError. */
export function openCheckpoint(note: string, verifier: NoteVerifier, origin: string): SeenTree {
  let text: string;
  try {
    text = openNote(note, [verifier]).text;
  } catch (error) {
    throw new ReceiptError(`the checkpoint is not signed by the hub's key: ${(error as Error).message}`);
  }
  let parsed: ReturnType<typeof parseCheckpoint>;
  try {
    parsed = parseCheckpoint(text);
  } catch (error) {
    throw new ReceiptError(`the checkpoint is malformed: ${(error as Error).message}`);
  }
  if (parsed.origin !== origin)
    throw new ReceiptError(`the checkpoint is for log ${parsed.origin}, not ${origin}`);
  return { size: parsed.size, root: parsed.root };
}

/** Check a receipt end to end; returns the tree it proves (the device keeps it as `previous`). */
export function verifyReceipt(receipt: HubReceipt, expect: ReceiptExpectation): SeenTree {
  const tree = openCheckpoint(receipt.checkpoint, expect.verifier, expect.origin);
  if (tree.size !== receipt.treeSize)
    throw new ReceiptError('the receipt names a tree size its checkpoint does not');
  const { leaf } = receipt;
  if (leaf.device !== expect.device || leaf.seq !== expect.seq || leaf.hash !== expect.hash) {
    throw new ReceiptError(
      `the receipt is for ${leaf.device} seq ${leaf.seq}, not for the batch sent (seq ${expect.seq})`,
    );
  }
  if (!verifyInclusion(receipt.leafIndex, tree.size, hubLeafHash(leaf), b64(receipt.inclusion), tree.root)) {
    throw new ReceiptError(`the inclusion proof of leaf ${receipt.leafIndex} does not match the signed tree`);
  }
  checkConsistency(expect.previous, tree.size, tree.root, receipt.consistency);
  return tree;
}
