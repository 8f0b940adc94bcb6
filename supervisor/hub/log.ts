// The hub's Merkle log over its store: one leaf per accepted batch, a signed C2SP checkpoint
// of every tree size, and receipts (inclusion proof, consistency proof from the tree the
// device saw last). Appends run inside an ingest transaction holding the log's lock.

import type { HubLeaf, HubReceipt } from '../api/hub.ts';
import { hubLeafHash } from '../hub-protocol/receipt.ts';
import { formatCheckpoint } from '../tlog/checkpoint.ts';
import {
  appendNodes,
  consistencyRanges,
  EMPTY_ROOT,
  hashRanges,
  inclusionRanges,
  type NodeId,
  nodesFor,
  rangeNodes,
  rootOf,
} from '../tlog/merkle.ts';
import { type NoteSigner, signNote } from '../tlog/note.ts';
import { type HubTx, nodeKey, type StoredCheckpoint } from './store.ts';

type NodeReader = { nodes(ids: readonly NodeId[]): Promise<Map<string, Buffer>> };

function lookup(map: Map<string, Buffer>): (id: NodeId) => Buffer {
  return (id) => {
    const hash = map.get(nodeKey(id));
    if (!hash) throw new Error(`the hub's log is missing subtree ${nodeKey(id)} (damaged database)`);
    return hash;
  };
}

export class HubLog {
  readonly signer: NoteSigner;

  constructor(signer: NoteSigner) {
    this.signer = signer;
  }

  get origin(): string {
    return this.signer.name;
  }

  sign(size: number, root: Buffer): StoredCheckpoint {
    const text = formatCheckpoint({ origin: this.origin, size, root, extensions: [] });
    return { size, root, note: signNote(text, [this.signer]) };
  }

  /** The checkpoint of the empty log (Ed25519 is deterministic: the same bytes every time). */
  empty(): StoredCheckpoint {
    return this.sign(0, Buffer.from(EMPTY_ROOT));
  }

  /** Append leaves (the caller's transaction holds the log lock after this); returns the first index and the new checkpoint. */
  async append(
    tx: HubTx,
    leaves: readonly HubLeaf[],
  ): Promise<{ first: number; checkpoint: StoredCheckpoint }> {
    const size = await tx.lockLog();
    const frontier =
      size === 0 ? new Map<string, Buffer>() : await tx.nodes(rangeNodes({ start: 0, end: size }));
    const added = appendNodes(size, leaves.map(hubLeafHash), lookup(frontier));
    for (const n of added) frontier.set(nodeKey(n), n.hash);
    const newSize = size + leaves.length;
    const checkpoint = this.sign(newSize, rootOf(newSize, lookup(frontier)));
    await tx.appendLog(size, leaves, added, checkpoint);
    return { first: size, checkpoint };
  }

  /** The receipt of the leaf at `index` in the tree of `checkpoint`, with consistency from `seenSize`. */
  async receipt(
    reader: NodeReader,
    leaf: HubLeaf,
    index: number,
    checkpoint: StoredCheckpoint,
    seenSize: number,
  ): Promise<HubReceipt> {
    const inclusion = inclusionRanges(index, checkpoint.size);
    const consistency =
      seenSize > 0 && seenSize < checkpoint.size ? consistencyRanges(seenSize, checkpoint.size) : null;
    const nodes = await reader.nodes(nodesFor([...inclusion, ...(consistency ?? [])]));
    const b64 = (list: Buffer[]) => list.map((b) => b.toString('base64'));
    return {
      checkpoint: checkpoint.note,
      leaf,
      leafIndex: index,
      treeSize: checkpoint.size,
      inclusion: b64(hashRanges(inclusion, lookup(nodes))),
      consistency: consistency
        ? { fromSize: seenSize, proof: b64(hashRanges(consistency, lookup(nodes))) }
        : null,
    };
  }

  /** A consistency proof between two sizes of the stored log (null when none is needed or possible). */
  async consistency(
    reader: NodeReader,
    from: number,
    to: number,
  ): Promise<{ fromSize: number; proof: string[] } | null> {
    if (from <= 0 || from >= to) return null;
    const ranges = consistencyRanges(from, to);
    const nodes = await reader.nodes(nodesFor(ranges));
    return { fromSize: from, proof: hashRanges(ranges, lookup(nodes)).map((b) => b.toString('base64')) };
  }
}
