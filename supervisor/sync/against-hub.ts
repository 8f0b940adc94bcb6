// `warden audit verify --against-hub`: compare the local chain with what the hub holds.
// First over the countersigned heads kept locally (each receipt is a hash the hub signed for
// a seq): a binary search finds the first one the local chain no longer matches. Then the
// hub's own hashes (`GET /hub/v1/heads`) narrow it to the first divergent seq, and the
// hub's acknowledged head catches a rollback or a rewrite past the last receipt.

import type { SyncLedger } from '../audit/sync-ledger.ts';
import { firstDivergent, hubHeads } from './divergence.ts';
import type { HubTarget } from './hub-client.ts';

export interface HubComparison {
  ok: boolean;
  /** What the hub holds of this device (its acknowledged head). */
  hubAcknowledged: number | null;
  /** Countersigned heads compared. */
  receipts: number;
  /** The first seq where the local chain and the hub's copy differ. */
  firstDivergent: number | null;
  detail: string;
}

export async function compareWithHub(ledger: SyncLedger, target: HubTarget): Promise<HubComparison> {
  const receipts = ledger.receipts();
  const matches = (i: number) => ledger.hashesAt([receipts[i]!.seq])[0]!.hash === receipts[i]!.hash;
  let lo = 0;
  let hi = receipts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (matches(mid)) lo = mid + 1;
    else hi = mid;
  }
  const start = ledger.start().seq;
  const head = ledger.head();
  const hub = (await hubHeads(target, [head?.seq ?? 1])).acknowledged;
  const result = (firstDivergent: number | null, detail: string): HubComparison => ({
    ok: firstDivergent === null,
    hubAcknowledged: hub?.seq ?? null,
    receipts: receipts.length,
    firstDivergent,
    detail,
  });
  if (lo < receipts.length) {
    const from = lo > 0 ? receipts[lo - 1]!.seq + 1 : start;
    const seq = await firstDivergent(target, ledger, from, receipts[lo]!.seq);
    return result(
      seq,
      `the local record at seq ${seq} differs from the one the hub countersigned: rewritten after it was synced`,
    );
  }
  if (!hub) return result(null, 'the hub holds nothing of this device yet');
  if (!head || hub.seq > head.seq) {
    return result(
      (head?.seq ?? 0) + 1,
      `the hub holds records up to seq ${hub.seq}, the local trail ends at seq ${head?.seq ?? 0}: an older copy of the database was restored (rollback)`,
    );
  }
  if (ledger.hashesAt([hub.seq])[0]!.hash !== hub.hash) {
    const from = receipts.length > 0 ? receipts.at(-1)!.seq + 1 : start;
    const seq = await firstDivergent(target, ledger, Math.min(from, hub.seq), hub.seq);
    return result(
      seq,
      `the local record at seq ${seq} differs from the hub's copy: rewritten after it was synced`,
    );
  }
  return result(
    null,
    `the local chain matches the hub through seq ${hub.seq} (${receipts.length} countersigned heads checked)`,
  );
}
