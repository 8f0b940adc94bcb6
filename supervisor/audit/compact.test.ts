import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cancelledEvent,
  hookAnsweredEvent,
  type Loose,
  mcpCallEvent,
  redactedEvent,
  requestEvent,
  revokedEvent,
  sampleEvents,
  TEST_DEVICE,
} from '../../test/support/audit/samples.ts';
import type { WardenEvent } from '../api/events.ts';
import { canonicalJson, canonicalJsonReference } from './canonical.ts';
import { compactEvent, eventColumns, type StoredEvent } from './compact.ts';
import { bodyOf, encodeEvents } from './encode.ts';
import { type CheckpointEvent, toOcsf } from './ocsf.ts';

const CTX = { device: TEST_DEVICE, version: '0.1.0' };
const NOW = 1_800_000_000_000;

const checkpoint: CheckpointEvent = {
  type: 'audit.checkpoint',
  time: '2026-11-03T10:00:00.000Z',
  user: 'warden',
  reason: 'more than 10 records',
  pruned: { fromSeq: 1, throughSeq: 9, count: 9, lastHash: 'a'.repeat(64), firstTime: 1, lastTime: 2 },
};

function everyShape(): StoredEvent[] {
  return [
    ...sampleEvents(),
    redactedEvent(),
    cancelledEvent(),
    revokedEvent(),
    hookAnsweredEvent(),
    mcpCallEvent(),
    mcpCallEvent({ method: 'resources/read', outcome: 'allowed', arguments: undefined, approvalId: 'ap-4' }),
    checkpoint,
    requestEvent(3, { status: undefined, address: undefined, approvalId: 'ap-9', intercepted: false }),
    requestEvent(4, { method: 'brew', outcome: 'error', decidedBy: 'proxy' }),
    { ...(sampleEvents()[9] as WardenEvent), time: 'not a time' },
    {
      type: 'user.action',
      time: '2026-11-03T10:00:00.000Z',
      user: 'bob',
      action: 'x.y',
      target: 't',
      sandboxId: 'sb',
    },
    { ...(sampleEvents()[7] as WardenEvent), time: 'x', sandboxId: 'sb-2' } as WardenEvent,
    ...decisionFirstShapes(),
  ];
}

/** A decision as recorded since request.ended exists (no traffic, a query), its end, approvals with a query. */
function decisionFirstShapes(): WardenEvent[] {
  const { bytesUp, bytesDown, durationMs, status, ...decided } = requestEvent(7, {
    query: 'page=2&q=a%20b',
  }) as Extract<WardenEvent, { type: 'request.decided' }>;
  void [bytesUp, bytesDown, durationMs, status];
  const pending = sampleEvents()[3] as Extract<WardenEvent, { type: 'approval.pending' }>;
  return [
    decided,
    {
      type: 'request.ended',
      id: decided.id,
      time: '2026-11-03T10:00:01.000Z',
      sandboxId: decided.sandboxId,
      user: decided.user,
      method: 'CONNECT',
      scheme: 'https',
      host: decided.host,
      port: 443,
      path: '',
      address: '127.0.0.1',
      outcome: 'error',
      reason: 'the proxy listener closed while the exchange was open',
      status: 200,
      bytesUp: 4,
      bytesDown: 5,
      durationMs: 12.5,
    },
    {
      type: 'request.ended',
      id: 'req-usage',
      time: '2026-11-03T10:00:02.000Z',
      sandboxId: decided.sandboxId,
      user: decided.user,
      method: 'POST',
      scheme: 'https',
      host: 'api.anthropic.com',
      port: 443,
      path: '/v1/messages',
      outcome: 'allowed',
      reason: 'ok',
      bytesUp: 10,
      bytesDown: 20,
      durationMs: 3,
      // A field beyond the usage's shape never reaches the database.
      usage: {
        api: 'anthropic.messages',
        model: 'claude-sonnet-4-5',
        inputTokens: 12,
        outputTokens: 40,
        cacheReadTokens: 7,
        cacheWriteTokens: 3,
        costUsd: 0.000677,
        incomplete: 'the answer was cut before its end',
        secret: 'sk-never-stored',
      } as never,
    },
    { ...pending, approval: { ...pending.approval, query: 'token=wdn_ph_x&d=1' } },
    { ...(sampleEvents()[4] as WardenEvent), query: 'a=1' } as WardenEvent,
  ];
}

test('a request.ended maps to Network Activity with its traffic, linked to its decision by the request id', () => {
  const [decided, ended] = decisionFirstShapes();
  const start: Loose = toOcsf(decided!, CTX, NOW).ocsf;
  const end: Loose = toOcsf(ended!, CTX, NOW).ocsf;
  assert.equal(start.class_uid, 4002);
  assert.equal(start.traffic, undefined, 'a decision has no traffic yet');
  assert.equal(start.http_request.url.query_string, 'page=2&q=a%20b');
  assert.match(start.http_request.url.url_string, /\/p\/7\?page=2&q=a%20b$/);
  assert.equal(end.class_uid, 4001);
  assert.equal(end.activity_name, 'Fail');
  assert.deepEqual(end.traffic, { bytes: 9, bytes_in: 5, bytes_out: 4 });
  assert.equal(end.unmapped.request_id, start.unmapped.request_id);
  assert.equal(eventColumns(ended!, NOW).kind, 'request.ended');
  assert.equal(eventColumns(ended!, NOW).outcome, 'error');
});

test('mapping the compact event (after a JSON round trip) gives the OCSF object of the original', () => {
  for (const event of everyShape()) {
    const stored = JSON.parse(canonicalJson(compactEvent(event))) as StoredEvent;
    const original = toOcsf(event, CTX, NOW);
    const fromStored = toOcsf(stored, CTX, NOW);
    assert.equal(canonicalJson(fromStored.ocsf), canonicalJson(original.ocsf), event.type);
  }
});

test('the indexed columns are the ones the OCSF mapper reports', () => {
  for (const event of everyShape()) {
    const m = toOcsf(event, CTX, NOW);
    assert.deepEqual(
      eventColumns(event, NOW),
      { kind: m.kind, time: m.time, sandboxId: m.sandboxId, user: m.user, host: m.host, outcome: m.outcome },
      event.type,
    );
  }
});

test('only named fields are kept: anything a producer attaches is dropped', () => {
  const secret = 'ghp_NotForTheAuditTrail';
  for (const event of everyShape()) {
    const text = canonicalJson(
      compactEvent({ ...event, value: secret, headers: { authorization: secret } } as unknown as StoredEvent),
    );
    assert.equal(text.includes(secret), false, event.type);
    assert.equal(text.includes('headers'), false, event.type);
  }
  const pending = sampleEvents()[3] as Extract<WardenEvent, { type: 'approval.pending' }>;
  const text = canonicalJson(
    compactEvent({ ...pending, approval: { ...pending.approval, token: secret } as never }),
  );
  assert.equal(text.includes(secret), false, 'nested approval fields are picked too');
});

test('an unknown event type is refused', () => {
  assert.throws(() => compactEvent({ type: 'nope' } as never), TypeError);
  assert.throws(() => eventColumns({ type: 'nope', time: '' } as never, NOW), TypeError);
});

/** The compact event's JSON as the append path (encode.ts) writes it. */
const appended = (event: StoredEvent): string => bodyOf(encodeEvents([event], NOW), 0);

test('the append path writes the canonical JSON of the compact event', () => {
  const awkward = requestEvent(5, {
    path: '/quote"and\\back\u0001\ud800é',
    rule: { z: 1, a: [{ y: 2, b: undefined }], layer: 'x' } as never,
    durationMs: -0,
    bytesUp: 1e21,
  });
  for (const event of [...everyShape(), awkward]) {
    assert.equal(appended(event), canonicalJsonReference(compactEvent(event)), event.type);
  }
  assert.throws(() => appended(requestEvent(1, { durationMs: Number.NaN })), TypeError);
  assert.throws(() => appended(requestEvent(1, { bytesUp: 1n as never })), TypeError);
});

test('a request.ended with model usage keeps the usage fields only, and maps them to unmapped.usage', () => {
  const event = decisionFirstShapes()[2] as StoredEvent;
  const text = JSON.stringify(compactEvent(event));
  assert.equal(text.includes('sk-never-stored'), false);
  const o: Loose = toOcsf(event as WardenEvent, CTX, NOW).ocsf;
  assert.deepEqual(o.unmapped.usage, {
    api: 'anthropic.messages',
    model: 'claude-sonnet-4-5',
    input_tokens: 12,
    output_tokens: 40,
    cache_read_tokens: 7,
    cache_write_tokens: 3,
    cost_usd: 0.000677,
    incomplete: 'the answer was cut before its end',
  });
  assert.match(o.message, /claude-sonnet-4-5 12\+10 in 40 out tokens/);
});
