// The hub's Merkle log over its store: one leaf per accepted batch, a signed C2SP checkpoint
// of every tree size it was appended to, and receipts (inclusion proof, consistency proof
// from the tree the device saw last). Batches that arrive together are appended as one
// group (`appendGrouped`): one log transaction and one signed checkpoint for all of them,
// each batch's receipt proving its own leaf in that tree. The log's lock is held only for
// the append, never while a device's records are checked or receipts are built.

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
import {
  type HubLogTx,
  type HubStore,
  leafKey,
  nodeKey,
  type PlacedLeaf,
  type StoredCheckpoint,
} from './store.ts';

type NodeReader = { nodes(ids: readonly NodeId[]): Promise<Map<string, Buffer>> };

function lookup(map: Map<string, Buffer>): (id: NodeId) => Buffer {
  return (id) => {
    const hash = map.get(nodeKey(id));
    if (!hash) throw new Error(`the hub's log is missing subtree ${nodeKey(id)} (damaged database)`);
    return hash;
  };
}

/** Leaves appended in one log transaction at most (a larger backlog takes several). */
export const MAX_GROUP = 256;
/** Subtree hashes kept in memory for receipts (they never change once written). */
const NODE_CACHE = 200_000;

interface Waiting {
  leaf: HubLeaf;
  /** The batch's records were new in this request: no leaf of theirs can exist yet. */
  fresh: boolean;
  resolve: (at: PlacedLeaf & { checkpoint: StoredCheckpoint }) => void;
  reject: (error: unknown) => void;
}

export class HubLog {
  readonly signer: NoteSigner;
  #waiting: Waiting[] = [];
  #appending = false;
  /** The frontier (perfect subtrees of [0, size)) as of the last committed append of this process. */
  #frontier: { size: number; nodes: Map<string, Buffer> } | null = null;
  readonly #cache = new Map<string, Buffer>();

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

  /**
   * Append one batch's leaf together with those of the batches arriving meanwhile: one log
   * transaction and one signed checkpoint per group. Resolves when the group committed.
   */
  appendGrouped(
    store: HubStore,
    leaf: HubLeaf,
    fresh: boolean,
  ): Promise<PlacedLeaf & { checkpoint: StoredCheckpoint }> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ leaf, fresh, resolve, reject });
      if (!this.#appending) void this.#drain(store);
    });
  }

  async #drain(store: HubStore): Promise<void> {
    this.#appending = true;
    try {
      while (this.#waiting.length > 0) {
        const group = this.#waiting.splice(0, MAX_GROUP);
        try {
          const done = await store.logTransaction((tx) =>
            this.append(
              tx,
              group.map((w) => w.leaf),
              group.filter((w) => !w.fresh).map((w) => w.leaf),
            ),
          );
          if (done.frontier) this.#committed(done.frontier, done.added);
          for (const [i, w] of group.entries())
            w.resolve({ ...done.placed[i]!, checkpoint: done.checkpoint });
        } catch (error) {
          this.#frontier = null;
          for (const w of group) w.reject(error);
        }
      }
    } finally {
      this.#appending = false;
    }
  }

  /** Remember what a committed append wrote (only then: a rolled-back one must not be cached). */
  #committed(
    frontier: { size: number; nodes: Map<string, Buffer> },
    added: ReadonlyArray<NodeId & { hash: Buffer }>,
  ) {
    this.#frontier = frontier;
    for (const n of added) this.#cache.set(nodeKey(n), n.hash);
    for (const [k, v] of frontier.nodes) this.#cache.set(k, v);
    if (this.#cache.size > NODE_CACHE) {
      let drop = this.#cache.size - NODE_CACHE;
      for (const k of this.#cache.keys()) {
        if (drop-- <= 0) break;
        this.#cache.delete(k);
      }
    }
  }

  /**
   * Append leaves in the caller's log transaction (holding the log's lock from here to its
   * commit). A (device, seq) that already has a leaf keeps it (two hub processes took the
   * same resent batch): one leaf per batch; `resent` are the leaves that may have one (by
   * default all). Returns where each leaf is, in order.
   */
  async append(
    tx: HubLogTx,
    leaves: readonly HubLeaf[],
    resent: readonly HubLeaf[] = leaves,
  ): Promise<{
    placed: PlacedLeaf[];
    checkpoint: StoredCheckpoint;
    frontier: { size: number; nodes: Map<string, Buffer> } | null;
    added: ReadonlyArray<NodeId & { hash: Buffer }>;
  }> {
    const size = await tx.lockLog();
    const byKey = resent.length > 0 ? await tx.leavesOf(resent) : new Map<string, PlacedLeaf>();
    const fresh: HubLeaf[] = [];
    const placed = leaves.map((leaf) => {
      let at = byKey.get(leafKey(leaf));
      if (!at) {
        at = { index: size + fresh.length, leaf };
        fresh.push(leaf);
        byKey.set(leafKey(leaf), at);
      }
      return at;
    });
    if (fresh.length === 0) {
      return { placed, checkpoint: (await tx.latestCheckpoint()) ?? this.empty(), frontier: null, added: [] };
    }
    // Another hub process may have appended since: the cached frontier serves only its own size.
    const known = this.#frontier?.size === size ? this.#frontier.nodes : null;
    const frontier = new Map(
      known ?? (size === 0 ? [] : await tx.nodes(rangeNodes({ start: 0, end: size }))),
    );
    const added = appendNodes(size, fresh.map(hubLeafHash), lookup(frontier));
    for (const n of added) frontier.set(nodeKey(n), n.hash);
    const newSize = size + fresh.length;
    const checkpoint = this.sign(newSize, rootOf(newSize, lookup(frontier)));
    await tx.appendLog(size, fresh, added, checkpoint);
    const next = new Map<string, Buffer>();
    for (const id of rangeNodes({ start: 0, end: newSize })) next.set(nodeKey(id), lookup(frontier)(id));
    return { placed, checkpoint, frontier: { size: newSize, nodes: next }, added };
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
    const nodes = await this.#nodes(reader, nodesFor([...inclusion, ...(consistency ?? [])]));
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
    const nodes = await this.#nodes(reader, nodesFor(ranges));
    return { fromSize: from, proof: hashRanges(ranges, lookup(nodes)).map((b) => b.toString('base64')) };
  }

  /** Subtree hashes from this process's cache, the rest from the store. */
  async #nodes(reader: NodeReader, ids: readonly NodeId[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    const missing: NodeId[] = [];
    for (const id of ids) {
      const hash = this.#cache.get(nodeKey(id));
      if (hash) found.set(nodeKey(id), hash);
      else missing.push(id);
    }
    if (missing.length > 0) for (const [k, v] of await reader.nodes(missing)) found.set(k, v);
    return found;
  }
}
