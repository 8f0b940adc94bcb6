// A gap the device acknowledges (issue 15): its store's size cap pruned records the hub had
// not received, and left a retention checkpoint saying so. After the hub's 409 gap the link
// declares it in a heartbeat (api/hub.ts HubGap) and goes on from the first record kept.

import type { HubGap } from '../api/hub.ts';
import type { SyncLedger, SyncLinkRow } from '../audit/sync-ledger.ts';
import type { SeenTree } from '../hub-protocol/receipt.ts';

/** Is the record at `seq` gone from the store (pruned)? */
export function prunedAt(ledger: SyncLedger, seq: number | null): boolean {
  return seq !== null && ledger.hashesAt([seq])[0]?.hash === null;
}

/** The gap the store's retention checkpoint accounts for above the acknowledged seq, or null. */
export function acknowledgedGap(ledger: SyncLedger): HubGap | null {
  const row = ledger.link()!;
  const kept = ledger.firstAfter(row.ackedSeq);
  return kept === null ? null : ledger.pruneCheckpoint(kept - 1);
}

/** The last log tree the device verified, if any. */
export function seenTree(row: SyncLinkRow): SeenTree | null {
  return row.treeSize > 0 && row.treeRoot
    ? { size: row.treeSize, root: Buffer.from(row.treeRoot, 'base64') }
    : null;
}
