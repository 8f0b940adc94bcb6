// The compact record (schema 2): what the store keeps of an event is the event itself, cut
// down to its named fields, plus the indexed columns derived from it. The OCSF object is built
// from that on read (records.ts), by the same mapper that used to run before the write, so
// the OCSF output is unchanged while a stored record is about a third of the size.
//
// Only the fields listed here are ever written: a field a producer attaches beyond the event
// type (a header, a secret value) never reaches the database. The lists are exactly what the
// OCSF mappers read; compact.test.ts checks that mapping the compact event gives the same
// OCSF object as mapping the original, for every event type.

import type { AuditKind, AuditOutcome } from '../api/audit-types.ts';
import type { WardenEvent } from '../api/events.ts';
import { type CheckpointEvent, eventTime } from './ocsf-shared.ts';

export type StoredEvent = WardenEvent | CheckpointEvent;

// Field names in code-unit order, so the picked object is already canonical at the top level.
const IDENTITY = ['sandboxId', 'time', 'type', 'user'];
export const FIELDS: Record<StoredEvent['type'], readonly string[]> = {
  'mcp.call': [
    'approvalId',
    'argumentBytes',
    'arguments',
    'callId',
    'decidedBy',
    'host',
    'method',
    'name',
    'outcome',
    'path',
    'port',
    'reason',
    'requestId',
    'rule',
    'sandboxId',
    'server',
    'sessionId',
    'time',
    'type',
    'user',
  ],
  'request.decided': [
    'address',
    'approvalId',
    'bytesDown',
    'bytesUp',
    'decidedBy',
    'durationMs',
    'host',
    'id',
    'intercepted',
    'method',
    'outcome',
    'package',
    'path',
    'port',
    'query',
    'reason',
    'rule',
    'sandboxId',
    'scheme',
    'status',
    'time',
    'type',
    'user',
  ],
  'request.ended': [
    'address',
    'bytesDown',
    'bytesUp',
    'durationMs',
    'host',
    'id',
    'method',
    'outcome',
    'package',
    'path',
    'port',
    'reason',
    'redactions',
    'sandboxId',
    'scheme',
    'status',
    'time',
    'type',
    'usage',
    'user',
  ],
  'approval.pending': ['approval', ...IDENTITY],
  'approval.answered': [
    'approvalId',
    'by',
    'client',
    'decision',
    'host',
    'method',
    'path',
    'query',
    'reason',
    'sandboxId',
    'scope',
    'time',
    'type',
    'user',
  ],
  'approval.revoked': [
    'approvalId',
    'by',
    'client',
    'decision',
    'host',
    'method',
    'path',
    'query',
    'ruleRemoved',
    'sandboxId',
    'time',
    'type',
    'user',
  ],
  'approval.expired': [
    'approvalId',
    'host',
    'method',
    'path',
    'query',
    'sandboxId',
    'time',
    'timeoutSeconds',
    'type',
    'user',
  ],
  'approval.cancelled': [
    'approvalId',
    'host',
    'method',
    'path',
    'query',
    'reason',
    'sandboxId',
    'time',
    'type',
    'user',
  ],
  'secret.injected': ['host', 'sandboxId', 'secret', 'time', 'type', 'user'],
  'secret.exfiltration_blocked': [
    'host',
    'method',
    'path',
    'sandboxId',
    'secret',
    'time',
    'type',
    'user',
    'where',
  ],
  'secret.redacted': ['host', 'method', 'path', 'sandboxId', 'secret', 'time', 'type', 'user', 'where'],
  'policy.changed': ['diff', 'layer', 'sandboxId', 'source', 'time', 'type', 'user'],
  'sandbox.state': ['agents', 'previous', 'reason', 'sandboxId', 'state', 'time', 'type', 'user'],
  'daemon.started': ['pid', 'time', 'type', 'user', 'version'],
  'daemon.stopping': ['pid', 'time', 'type', 'user', 'version'],
  'user.action': ['action', 'sandboxId', 'target', 'time', 'type', 'user'],
  'audit.checkpoint': ['pruned', 'reason', 'time', 'type', 'user'],
};

/** The fields of nested objects the mappers read member by member. */
export const NESTED: Record<string, readonly string[]> = {
  approval: [
    'createdAt',
    'expiresAt',
    'host',
    'id',
    'method',
    'package',
    'path',
    'port',
    'query',
    'reason',
    'rule',
    'scheme',
    'suggestedRule',
    'waiting',
  ],
  usage: [
    'api',
    'cacheReadTokens',
    'cacheWriteTokens',
    'costUsd',
    'incomplete',
    'inputTokens',
    'model',
    'outputTokens',
  ],
  package: ['ecosystem', 'integrity', 'name', 'publishedAt', 'version'],
  pruned: ['count', 'firstTime', 'fromSeq', 'lastHash', 'lastTime', 'throughSeq'],
};

export function pick(
  source: Record<string, unknown>,
  keys: readonly string[],
  nested: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = source[key];
    if (value === undefined) continue;
    const inner = nested ? NESTED[key] : undefined;
    out[key] =
      inner && value !== null && typeof value === 'object'
        ? pick(value as Record<string, unknown>, inner, false)
        : value;
  }
  return out;
}

/** The event cut down to its named fields (keys in code-unit order at the top level). */
export function compactEvent(event: StoredEvent): Record<string, unknown> {
  const keys = FIELDS[event.type];
  if (!keys) throw new TypeError(`no audit record shape for event type ${(event as { type: string }).type}`);
  return pick(event as unknown as Record<string, unknown>, keys, true);
}

/** The indexed columns of an event (the same values the OCSF mapper reports). */
export interface EventColumns {
  kind: AuditKind;
  time: number;
  sandboxId: string | null;
  user: string;
  host: string | null;
  outcome: AuditOutcome | null;
}

function columns(
  event: StoredEvent,
  now: number,
  sandboxId: string | null,
  host: string | null,
  outcome: AuditOutcome | null,
): EventColumns {
  return { kind: event.type, time: eventTime(event.time, now), sandboxId, user: event.user, host, outcome };
}

export function eventColumns(event: StoredEvent, now: number): EventColumns {
  switch (event.type) {
    case 'request.decided':
    case 'request.ended':
      return columns(event, now, event.sandboxId, event.host, event.outcome);
    case 'approval.pending':
      return columns(event, now, event.sandboxId, event.approval.host, null);
    case 'approval.answered':
      return columns(
        event,
        now,
        event.sandboxId,
        event.host,
        event.decision === 'allow' ? 'allowed' : 'denied',
      );
    case 'approval.expired':
      return columns(event, now, event.sandboxId, event.host, 'timed_out');
    case 'approval.cancelled':
      return columns(event, now, event.sandboxId, event.host, 'error');
    case 'approval.revoked':
      return columns(event, now, event.sandboxId, event.host, null);
    case 'secret.injected':
    case 'secret.redacted':
      return columns(event, now, event.sandboxId, event.host, null);
    case 'secret.exfiltration_blocked':
      return columns(event, now, event.sandboxId, event.host, 'denied');
    case 'mcp.call':
      return columns(event, now, event.sandboxId, event.host, event.outcome);
    case 'sandbox.state':
      return columns(event, now, event.sandboxId, null, event.state === 'ERROR' ? 'error' : null);
    case 'policy.changed':
    case 'user.action':
      return columns(event, now, event.sandboxId ?? null, null, null);
    case 'daemon.started':
    case 'daemon.stopping':
    case 'audit.checkpoint':
      return columns(event, now, null, null, null);
    default: {
      const unknown: never = event;
      throw new TypeError(`no audit record shape for event type ${(unknown as { type: string }).type}`);
    }
  }
}
