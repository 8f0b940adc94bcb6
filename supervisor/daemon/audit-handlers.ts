// The audit API: paged, filtered history (cursor based) and the chain's status.

import { AUDIT_OUTCOMES, type AuditFilter, type AuditKind, type AuditOutcome } from '../api/audit-types.ts';
import { WardenError } from '../api/errors.ts';
import { type AuditStore, MAX_PAGE, parseTimeArg } from '../audit/index.ts';
import type { Handlers } from '../server/server.ts';

const OUTCOMES = new Set<AuditOutcome>(AUDIT_OUTCOMES);

export function auditFilter(query: URLSearchParams, now = Date.now()): AuditFilter {
  const filter: AuditFilter = {};
  const text = (k: string) => query.get(k) ?? undefined;
  const time = (k: string) => {
    const v = text(k);
    if (v === undefined) return undefined;
    try {
      return parseTimeArg(v, now);
    } catch (error) {
      throw new WardenError('BadRequest', `${k}: ${(error as Error).message}`);
    }
  };
  if (text('sandbox')) filter.sandbox = text('sandbox');
  if (text('kind')) filter.kind = text('kind') as AuditKind;
  if (text('host')) filter.host = text('host');
  const outcome = text('outcome');
  if (outcome) {
    if (!OUTCOMES.has(outcome as AuditOutcome)) {
      throw new WardenError('BadRequest', `outcome must be one of ${[...OUTCOMES].join(', ')}`);
    }
    filter.outcome = outcome as AuditOutcome;
  }
  const since = time('since');
  if (since !== undefined) filter.since = since;
  const until = time('until');
  if (until !== undefined) filter.until = until;
  return filter;
}

export function auditHandlers(
  store: AuditStore,
  fault: () => string | null = () => store.fault,
): Pick<Handlers, 'GET /v1/audit' | 'GET /v1/audit/chain'> {
  return {
    'GET /v1/audit': ({ query }) => {
      const limit = query.get('limit') === null ? 100 : Number(query.get('limit'));
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
        throw new WardenError('BadRequest', `limit must be a whole number from 1 to ${MAX_PAGE}`);
      }
      const order = query.get('order') ?? 'desc';
      if (order !== 'asc' && order !== 'desc')
        throw new WardenError('BadRequest', 'order must be asc or desc');
      try {
        return store.query(auditFilter(query), { cursor: query.get('cursor') ?? undefined, limit, order });
      } catch (error) {
        if (error instanceof RangeError) throw new WardenError('BadRequest', error.message);
        throw error;
      }
    },
    'GET /v1/audit/chain': () => ({ ...store.verify(), fault: fault() }),
  };
}
