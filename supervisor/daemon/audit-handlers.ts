// The audit API: paged, filtered history (cursor based) and the chain's status.

import {
  AUDIT_OUTCOMES,
  type AuditFilter,
  type AuditKind,
  type AuditOutcome,
  MAX_HISTOGRAM_BUCKETS,
} from '../api/audit-types.ts';
import { WardenError } from '../api/errors.ts';
import type { AuditWriter } from '../audit/audit-writer.ts';
import { type AuditStore, MAX_PAGE, parseTimeArg } from '../audit/index.ts';
import { parsePackageFilter } from '../packages/index.ts';
import type { Handlers } from '../server/server.ts';

const OUTCOMES = new Set<AuditOutcome>(AUDIT_OUTCOMES);

/**
 * An API call answers only once the records of what it did are committed (never blocking the
 * event loop: the writer acknowledges by message); a failed commit is the call's error.
 */
export function auditSettled(writer: Pick<AuditWriter, 'committed'>): Promise<void> {
  return writer.committed().catch((error: Error) => {
    throw new WardenError(
      'InternalError',
      `the change was made but its audit record was not committed: ${error.message}`,
      'the proxy fails closed until the audit trail can be written again; check the disk and `warden audit verify`',
    );
  });
}

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
  const pkg = text('package');
  if (pkg) filter.package = packageFilter(pkg);
  const since = time('since');
  if (since !== undefined) filter.since = since;
  const until = time('until');
  if (until !== undefined) filter.until = until;
  return filter;
}

/** `name` or `name@version` (`@scope/name@1.2.3`). */
export function packageFilter(text: string): { name: string; version?: string } {
  const parsed = parsePackageFilter(text);
  if (parsed) return parsed;
  throw new WardenError(
    'BadRequest',
    `package must be a package name, optionally with @version (got ${JSON.stringify(text.slice(0, 120))})`,
    'for example package=lodash or package=@types/node@22.1.0',
  );
}

export function auditHandlers(
  store: AuditStore,
  fault: () => string | null = () => store.fault,
): Pick<Handlers, 'GET /v1/audit' | 'GET /v1/audit/chain' | 'GET /v1/audit/histogram'> {
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
    'GET /v1/audit/histogram': ({ query }) => histogram(store, query),
  };
}

const HOUR = 3_600_000;

function histogram(store: AuditStore, query: URLSearchParams, now = Date.now()) {
  const text = query.get('buckets');
  const buckets = text === null ? 60 : Number(text);
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_HISTOGRAM_BUCKETS) {
    throw new WardenError(
      'BadRequest',
      `buckets must be a whole number from 1 to ${MAX_HISTOGRAM_BUCKETS}`,
      'Ask for fewer buckets, or a shorter range.',
    );
  }
  if (query.get('kind') !== null) {
    throw new WardenError('BadRequest', 'the histogram counts every kind: kind is not a filter here');
  }
  if (query.get('package') !== null) {
    throw new WardenError(
      'BadRequest',
      'package is not a filter of the histogram',
      'use it with GET /v1/audit',
    );
  }
  const filter = auditFilter(query, now);
  const until = filter.until ?? now;
  const since = filter.since ?? until - HOUR;
  if (!(since < until)) {
    throw new WardenError(
      'BadRequest',
      'since must be before until',
      'Pick a range that starts before it ends.',
    );
  }
  const { sandbox, host, outcome } = filter;
  return store.histogram(
    { ...(sandbox ? { sandbox } : {}), ...(host ? { host } : {}), ...(outcome ? { outcome } : {}) },
    { since, until, buckets },
  );
}
