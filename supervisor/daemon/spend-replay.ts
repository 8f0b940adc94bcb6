// The spend totals survive a restart: at start the daemon reads back this and last month's
// `request.ended` records that carry usage (their OCSF `unmapped.usage`) into the ledger,
// so a budget keeps counting what was spent before. Bounded by MAX_RECORDS.

import type { ModelApi, RequestUsage } from '../api/spend.ts';
import type { AuditStore } from '../audit/index.ts';
import type { SpendLedger } from '../spend/index.ts';

const MAX_RECORDS = 200_000;
const APIS: readonly ModelApi[] = ['anthropic.messages', 'openai.chat', 'openai.responses'];

const n = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);

/** The usage of an audited `request.ended` (as ocsf-request-ended.ts wrote it), if any. */
export function usageOfRecord(unmapped: unknown): RequestUsage | undefined {
  const u = (unmapped as { usage?: Record<string, unknown> } | undefined)?.usage;
  if (!u || !APIS.includes(u.api as ModelApi) || typeof u.model !== 'string') return undefined;
  return {
    api: u.api as ModelApi,
    model: u.model,
    inputTokens: n(u.input_tokens),
    outputTokens: n(u.output_tokens),
    cacheReadTokens: n(u.cache_read_tokens),
    cacheWriteTokens: n(u.cache_write_tokens),
    costUsd: typeof u.cost_usd === 'number' && Number.isFinite(u.cost_usd) ? u.cost_usd : null,
  };
}

/** Adds the audited usage since the start of last month to `ledger`; returns how many requests. */
export function replaySpend(audit: AuditStore, ledger: SpendLedger, now: Date): number {
  const since = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
  let cursor: string | undefined;
  let seen = 0;
  let added = 0;
  while (seen < MAX_RECORDS) {
    const page = audit.query(
      { kind: 'request.ended', since },
      { limit: 1000, order: 'asc', ...(cursor ? { cursor } : {}) },
    );
    for (const record of page.records) {
      seen++;
      const usage = usageOfRecord((record.ocsf as { unmapped?: unknown }).unmapped);
      if (!usage || !record.sandboxId) continue;
      ledger.add(record.sandboxId, new Date(record.time), usage);
      added++;
    }
    if (!page.nextCursor || page.records.length === 0) break;
    cursor = page.nextCursor;
  }
  return added;
}
