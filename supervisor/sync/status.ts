// The link's status as the API shows it: what the link knows (state, last success and error,
// next attempt) with the position, head, backlog and lag read from the audit database.

import type { SyncState, SyncStatus } from '../api/sync-types.ts';
import type { SyncLedger } from '../audit/sync-ledger.ts';

export interface LiveState {
  state: SyncState;
  lastSuccess: number | null;
  lastError: string | null;
  nextAttempt: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function syncStatus(
  ledger: SyncLedger,
  live: LiveState,
  enrolled: boolean,
  now = Date.now(),
): SyncStatus {
  const row = enrolled ? ledger.link() : null;
  const head = ledger.head();
  const backlog = row && head ? Math.max(0, head.seq - row.ackedSeq) : 0;
  const oldest = backlog > 0 && row ? ledger.loggedAt(ledger.firstAfter(row.ackedSeq) ?? 0) : null;
  const waiting = live.state === 'backing-off' || live.state === 'parked';
  return {
    state: live.state,
    hub: row?.hubUrl ?? null,
    deviceId: row?.deviceId ?? null,
    acknowledgedSeq: row ? row.ackedSeq : null,
    headSeq: head?.seq ?? null,
    backlog,
    lagMs: oldest === null ? 0 : Math.max(0, now - oldest),
    lastSuccess: iso(live.lastSuccess),
    lastError: live.lastError,
    nextAttempt: waiting ? iso(live.nextAttempt) : null,
    treeSize: row?.treeSize ?? 0,
    receipts: row ? ledger.receiptCount() : 0,
  };
}
