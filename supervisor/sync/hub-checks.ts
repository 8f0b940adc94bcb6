// What the device checks of the hub's answers before it believes them: each receipt against
// the hub's key and the tree it saw before, each heartbeat's checkpoint and its consistency
// proof, the position the hub says it holds (against the local chain) and the answer to a
// challenge. Whatever does not check is a fork: `Forked` names it, and the link stops for
// good (a restart does not resume it).

import type { HubBatchResponse, HubHead, HubHeartbeatResponse } from '../api/hub.ts';
import type { SyncLedger, SyncLinkRow } from '../audit/sync-ledger.ts';
import {
  checkConsistency,
  openCheckpoint,
  ReceiptError,
  type SeenTree,
  verifyReceipt,
} from '../hub-protocol/receipt.ts';
import type { NoteVerifier } from '../tlog/note.ts';
import { firstDivergent } from './divergence.ts';
import { seenTree } from './gap.ts';
import type { HubTarget } from './hub-client.ts';

/** The hub's answer contradicts the local chain or the hub's own earlier word. */
export class Forked extends Error {}

/** The receipt of a batch ending at `seq` (`hash`): the tree it proves, which extends the one seen. */
export function checkReceipt(
  ack: HubBatchResponse,
  o: { verifier: NoteVerifier; row: SyncLinkRow; seq: number; hash: string },
): SeenTree {
  try {
    return verifyReceipt(ack.receipt, {
      verifier: o.verifier,
      origin: o.row.origin,
      device: o.row.deviceId,
      seq: o.seq,
      hash: o.hash,
      previous: seenTree(o.row),
    });
  } catch (error) {
    if (error instanceof ReceiptError) throw new Forked(`the hub's receipt does not check: ${error.message}`);
    throw error;
  }
}

/** A heartbeat's checkpoint: signed by the hub and consistent with the tree seen; recorded when larger. */
export function checkHeartbeatTree(
  beat: HubHeartbeatResponse,
  verifier: NoteVerifier,
  row: SyncLinkRow,
  ledger: SyncLedger,
): void {
  try {
    const tree = openCheckpoint(beat.checkpoint, verifier, row.origin);
    checkConsistency(seenTree(row), tree.size, tree.root, beat.consistency);
    if (tree.size > row.treeSize) ledger.setTree(tree.size, tree.root.toString('base64'));
  } catch (error) {
    if (error instanceof ReceiptError)
      throw new Forked(`the hub's checkpoint does not check: ${error.message}`);
    throw error;
  }
}

/** Compare what the hub holds with the local chain; move the position to it when they agree. */
export async function reconcile(
  hub: HubHead | null,
  row: SyncLinkRow,
  ledger: SyncLedger,
  target: HubTarget,
): Promise<void> {
  if (!hub) return;
  const head = ledger.head();
  if (!head || hub.seq > head.seq) {
    throw new Forked(
      `rollback: the hub holds this device's records up to seq ${hub.seq}, but the local trail ends at seq ${head?.seq ?? 0} (an older copy of the audit database was restored)`,
    );
  }
  const [local] = ledger.hashesAt([hub.seq]);
  if (local?.hash === null || local?.hash === hub.hash) {
    if (hub.seq !== row.ackedSeq && local?.hash !== null) ledger.advance(hub.seq, hub.hash);
    return;
  }
  const from = Math.max(1, ledger.firstAfter(0) ?? 1);
  const seq = await firstDivergent(target, ledger, from, hub.seq).catch(() => hub.seq);
  throw new Forked(
    `the hub holds a different record at seq ${seq}: the local chain was rewritten after it was synced`,
  );
}
