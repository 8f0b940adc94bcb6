import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Loose } from '../../test/support/audit/samples.ts';
import {
  cancelledEvent,
  hookAnsweredEvent,
  mcpCallEvent,
  redactedEvent,
  revokedEvent,
  sampleEvents,
  T0,
  TEST_DEVICE,
} from '../../test/support/audit/samples.ts';
import type { WardenEvent } from '../api/events.ts';
import { type CheckpointEvent, type MappedEvent, toOcsf } from './ocsf.ts';

const ctx = { device: TEST_DEVICE, version: '9.9.9' };

function find<T extends WardenEvent['type']>(type: T, pick = 0): Extract<WardenEvent, { type: T }> {
  const all = sampleEvents().filter((e) => e.type === type);
  return all[pick] as Extract<WardenEvent, { type: T }>;
}

function common(m: MappedEvent, classUid: number, activityId: number, categoryUid: number) {
  const o = m.ocsf as Record<string, Loose>;
  assert.equal(o.class_uid, classUid);
  assert.equal(o.category_uid, categoryUid);
  assert.equal(o.activity_id, activityId);
  assert.equal(o.type_uid, classUid * 100 + activityId);
  assert.equal(typeof o.class_name, 'string');
  assert.equal(typeof o.category_name, 'string');
  assert.equal(typeof o.activity_name, 'string');
  assert.ok([1, 2, 3, 4].includes(o.severity_id));
  assert.equal(typeof o.severity, 'string');
  assert.ok([0, 1, 2].includes(o.status_id));
  assert.equal(o.time, m.time);
  // Contexts written before 1.9 said Linux was type_id 100 (Windows'): the mapping reads the caption.
  assert.deepEqual(o.device, {
    hostname: 'devbox',
    os: { ...TEST_DEVICE.os, type_id: 200 },
    type: 'Desktop',
    type_id: 2,
  });
  assert.deepEqual(o.metadata.product, { name: 'Warden', vendor_name: 'Warden', version: '9.9.9' });
  assert.equal(o.metadata.version, '1.9.0');
  assert.ok(o.metadata.profiles.includes('host'), 'actor and device are the host profile');
  assert.equal(o.metadata.profiles.includes('security_control'), o.disposition_id !== undefined);
  assert.equal(o.unmapped.warden_kind, m.kind);
  assert.equal(typeof o.message, 'string');
  return o;
}

/** The delegation: the human as actor, the sandbox as ai_agent (a finding: in its evidence). */
function agent(o: Record<string, Loose>, sandboxId: string, user: string) {
  assert.equal(o.actor.user.name, user);
  const vm = { uid: sandboxId, name: sandboxId, type: 'Virtual', type_id: 6 };
  if (o.category_uid === 2) {
    assert.equal(o.ai_agent, undefined);
    assert.deepEqual(o.evidences[0].ai_agent, { name: sandboxId, uid: sandboxId });
    assert.deepEqual(o.evidences[0].src_endpoint, vm);
  } else {
    assert.deepEqual(o.ai_agent, { name: sandboxId, uid: sandboxId });
    assert.ok(o.metadata.profiles.includes('ai_operation'));
    assert.deepEqual(o.src_endpoint, o.class_uid === 6002 ? undefined : vm);
  }
  assert.equal(o.unmapped.sandbox_id, sandboxId);
}

test('request.decided → HTTP Activity (4002), activity from the method, allowed/denied disposition', () => {
  const e = find('request.decided');
  const m = toOcsf(e, ctx, 0);
  const o = common(m, 4002, 3, 4);
  agent(o, 'sb-1', 'alice');
  assert.deepEqual(
    [m.kind, m.host, m.outcome, m.sandboxId, m.user],
    ['request.decided', 'api.github.com', 'allowed', 'sb-1', 'alice'],
  );
  assert.equal(m.time, T0 + 2);
  assert.equal(o.http_request.url.url_string, 'https://api.github.com:443/repos/acme/app');
  assert.equal(o.http_response.code, 200);
  assert.deepEqual(o.dst_endpoint, { hostname: 'api.github.com', port: 443, ip: '140.82.112.6' });
  assert.deepEqual(o.traffic, { bytes_out: 300, bytes_in: 5000, bytes: 5300 });
  assert.equal(o.disposition_id, 1);
  assert.equal(o.unmapped.rule.match, 'api.github.com');
  const denied = toOcsf({ ...e, method: 'delete', outcome: 'denied', status: undefined }, ctx, 0)
    .ocsf as Loose;
  assert.deepEqual(
    [denied.activity_id, denied.action_id, denied.disposition_id, denied.status_id],
    [2, 2, 2, 2],
  );
  assert.equal(denied.http_response, undefined);
  // OCSF 1.9 has every method of the IANA registry; one outside it is Other, named in activity_name.
  const webdav = toOcsf({ ...e, method: 'PROPFIND', outcome: 'timed_out' }, ctx, 0);
  assert.deepEqual(
    [(webdav.ocsf as Loose).activity_id, (webdav.ocsf as Loose).activity_name],
    [28, 'Property Find'],
  );
  assert.equal(webdav.outcome, 'timed_out');
  const odd = toOcsf({ ...e, method: 'BREW' }, ctx, 0).ocsf as Loose;
  assert.deepEqual([odd.activity_id, odd.activity_name, odd.type_name], [99, 'BREW', 'HTTP Activity: BREW']);
  assert.equal(odd.http_request.http_method, undefined, 'not a value of the http_method enum');
  assert.equal(odd.unmapped.method, 'BREW');
});

test('approval.pending → Web Resource Access Activity (6004) activity Other "Access Request"', () => {
  const m = toOcsf(find('approval.pending'), ctx, 0);
  const o = common(m, 6004, 99, 6);
  agent(o, 'sb-1', 'alice');
  assert.equal(o.activity_name, 'Access Request');
  assert.equal(m.host, 'registry.npmjs.org');
  assert.equal(m.outcome, null);
  assert.equal(o.unmapped.approval_id, 'ap-1');
  assert.deepEqual(o.unmapped.suggested_rule, { match: 'registry.npmjs.org', methods: ['POST'] });
});

test('approval.answered → 6004 Access Grant/Deny; the human who answered is the actor', () => {
  const e = find('approval.answered');
  const m = toOcsf(e, ctx, 0);
  const o = common(m, 6004, 2, 6);
  assert.equal(o.actor.user.name, 'bob');
  assert.deepEqual(o.ai_agent, { name: 'sb-1', uid: 'sb-1' }, 'the agent whose request it was');
  assert.equal(o.unmapped.sandbox_user, 'alice');
  assert.equal(m.user, 'alice');
  assert.equal(m.outcome, 'denied');
  assert.deepEqual([o.unmapped.decision, o.unmapped.scope, o.unmapped.answered_by], ['deny', 'once', 'bob']);
  const allow = toOcsf({ ...e, decision: 'allow', scope: 'always' }, ctx, 0);
  assert.equal((allow.ocsf as Loose).activity_id, 1);
  assert.equal(allow.outcome, 'allowed');
});

test('approval.expired → 6004 Access Deny with outcome timed_out', () => {
  const m = toOcsf(find('approval.expired'), ctx, 0);
  const o = common(m, 6004, 2, 6);
  agent(o, 'sb-1', 'alice');
  assert.equal(m.outcome, 'timed_out');
  assert.equal(o.unmapped.timeout_seconds, 60);
});

test('approval.cancelled → 6004 Access Deny, status Failure, with the reason; outcome error like its requests', () => {
  const m = toOcsf(cancelledEvent(), ctx, 0);
  const o = common(m, 6004, 2, 6);
  agent(o, 'sb-1', 'alice');
  assert.equal(o.status_id, 2);
  assert.equal(o.severity_id, 1);
  assert.equal(m.outcome, 'error');
  assert.equal(m.host, 'example.org');
  assert.equal(o.status_detail, 'approval cancelled: sandbox sb-1 was removed');
  assert.equal(o.unmapped.approval_id, 'ap-3');
  assert.match(o.message, /GET example\.org\/held\?page=2 cancelled: sandbox sb-1 was removed/);
});

test('approval.revoked → 6004 Other; the human who revoked it is the actor, with the tool', () => {
  const m = toOcsf(revokedEvent(), ctx, 0);
  const o = common(m, 6004, 99, 6);
  agent(o, 'sb-1', 'alice');
  assert.equal(m.outcome, null);
  assert.equal(o.actor.user.name, 'alice');
  assert.equal(o.unmapped.revoked_client, 'cli');
  assert.equal(o.unmapped.rule_removed, true);
  assert.match(o.message, /alice \(cli\) revoked the "always allow" answer for GET example\.org\/always/);
});

test('an answer records its client and reason: the reviewer hook denying', () => {
  const m = toOcsf(hookAnsweredEvent(), ctx, 0);
  const o = common(m, 6004, 2, 6);
  assert.equal(o.actor.user.name, 'reviewer-hook');
  assert.equal(o.unmapped.answered_client, 'reviewer-hook');
  assert.equal(o.unmapped.reason, 'uploads are not allowed');
  assert.match(o.message, /^reviewer-hook \(reviewer-hook\) answered deny \(once\)/);
});

test('secret.injected → 6004 Access Grant carrying the secret name only', () => {
  const m = toOcsf(find('secret.injected'), ctx, 0);
  const o = common(m, 6004, 1, 6);
  agent(o, 'sb-1', 'alice');
  assert.equal(o.unmapped.secret_name, 'GITHUB_TOKEN');
  assert.equal(m.host, 'api.github.com');
});

test('secret.exfiltration_blocked → Detection Finding (2004), high severity, blocked', () => {
  const m = toOcsf(find('secret.exfiltration_blocked'), ctx, 0);
  const o = common(m, 2004, 1, 2);
  agent(o, 'sb-1', 'alice');
  assert.equal(o.severity_id, 4);
  assert.equal(o.disposition_id, 2);
  assert.deepEqual(o.finding_info.types, ['Data Exfiltration']);
  assert.equal(typeof o.finding_info.uid, 'string');
  assert.equal(m.outcome, 'denied');
  assert.equal(o.unmapped.where, 'authorization');
});

test('secret.redacted → Detection Finding (2004), medium severity, corrected, name only', () => {
  const m = toOcsf(redactedEvent(), ctx, 0);
  const o = common(m, 2004, 1, 2);
  agent(o, 'sb-1', 'alice');
  assert.equal(o.severity_id, 3);
  assert.equal(o.disposition_id, 11);
  assert.equal(m.outcome, null);
  assert.equal(m.host, 'api.github.com');
  assert.deepEqual(o.unmapped, {
    warden_kind: 'secret.redacted',
    sandbox_id: 'sb-1',
    secret_name: 'GITHUB_TOKEN',
    where: 'body',
  });
});

test('mcp.call → API Activity (6003): the server, the tool, the rule, arguments only when recorded', () => {
  const m = toOcsf(mcpCallEvent(), ctx, 0);
  const o = common(m, 6003, 99, 6);
  agent(o, 'sb-1', 'alice');
  assert.equal(o.activity_name, 'Call');
  assert.equal(m.outcome, 'denied');
  assert.equal(m.host, 'mcp.example.com');
  assert.deepEqual(o.api, { operation: 'tools/call', request: { uid: '7' }, service: { name: 'github' } });
  assert.deepEqual(o.resources, [{ name: 'delete_repo', type: 'MCP Tool' }]);
  assert.equal(o.unmapped.rule.pattern, 'delete_*');
  assert.equal(o.unmapped.argument_bytes, 17);
  assert.equal(o.unmapped.arguments, '{"repo":"acme/x"}');
  const read = toOcsf(
    mcpCallEvent({ method: 'resources/read', outcome: 'allowed', arguments: undefined }),
    ctx,
    0,
  );
  const r = common(read, 6003, 2, 6);
  assert.equal(r.unmapped.arguments, undefined);
  assert.equal(r.status_id, 1);
});

test('policy.changed → API Activity (6003) Update with the diff and source', () => {
  const e = find('policy.changed');
  const m = toOcsf(e, ctx, 0);
  const o = common(m, 6003, 3, 6);
  assert.equal(o.actor.user.name, 'alice');
  assert.equal(m.sandboxId, null);
  assert.equal(o.ai_agent, undefined);
  // API Activity requires a source: without a sandbox, the human acted on this device.
  assert.deepEqual(o.src_endpoint, { hostname: 'devbox' });
  assert.deepEqual(o.unmapped.diff, e.diff);
  assert.equal(o.unmapped.source, '/home/a/policy.yaml');
  const project = toOcsf({ ...e, layer: 'project', sandboxId: 'sb-9' }, ctx, 0);
  assert.equal(project.sandboxId, 'sb-9');
  assert.deepEqual((project.ocsf as Loose).ai_agent, { name: 'sb-9', uid: 'sb-9' });
});

test('sandbox.state → Application Lifecycle (6002): RUNNING Start, STOPPED Stop, others Other', () => {
  const running = toOcsf(find('sandbox.state', 0), ctx, 0);
  agent(common(running, 6002, 3, 6), 'sb-1', 'alice');
  const error = toOcsf(find('sandbox.state', 1), ctx, 0);
  const o = common(error, 6002, 99, 6);
  assert.equal(o.status_id, 2);
  assert.equal(error.outcome, 'error');
  assert.equal(o.unmapped.reason, 'qemu exited 1');
  const stopped = toOcsf({ ...find('sandbox.state', 0), state: 'STOPPED', previous: 'STOPPING' }, ctx, 0);
  assert.equal((stopped.ocsf as Loose).activity_id, 4);
});

test('daemon.started / daemon.stopping → Application Lifecycle (6002) Start / Stop', () => {
  const start = toOcsf(find('daemon.started'), ctx, 0);
  assert.equal(common(start, 6002, 3, 6).unmapped.pid, 4242);
  const stop = toOcsf(find('daemon.stopping'), ctx, 0);
  assert.equal(common(stop, 6002, 4, 6).app.name, 'warden-supervisor');
});

test('user.action → API Activity (6003), activity from the verb', () => {
  const e = find('user.action');
  const o = common(toOcsf(e, ctx, 0), 6003, 1, 6);
  assert.equal(o.api.operation, 'secret.set');
  assert.equal(o.unmapped.target, 'GITHUB_TOKEN');
  assert.equal((toOcsf({ ...e, action: 'listener.remove' }, ctx, 0).ocsf as Loose).activity_id, 4);
  assert.equal((toOcsf({ ...e, action: 'vm.poke' }, ctx, 0).ocsf as Loose).activity_id, 99);
});

test('audit.checkpoint → API Activity (6003) Delete carrying the pruned range and hash', () => {
  const cp: CheckpointEvent = {
    type: 'audit.checkpoint',
    time: new Date(T0).toISOString(),
    user: 'warden',
    reason: 'more than 10 records',
    pruned: { fromSeq: 1, throughSeq: 10, count: 10, lastHash: 'ab'.repeat(32), firstTime: 1, lastTime: 2 },
  };
  const o = common(toOcsf(cp, ctx, 0), 6003, 4, 6);
  assert.deepEqual(o.unmapped.pruned, {
    from_seq: 1,
    through_seq: 10,
    count: 10,
    last_hash: 'ab'.repeat(32),
    first_time: 1,
    last_time: 2,
  });
});

test('every sample event type maps, and an unparsable time falls back to the append time', () => {
  const types = new Set(sampleEvents().map((e) => toOcsf(e, ctx, 0).kind));
  assert.equal(types.size, 11);
  const m = toOcsf({ ...find('user.action'), time: 'not a time' }, ctx, 12345);
  assert.equal(m.time, 12345);
});

test('only documented fields are copied: an extra property on an event is never written', () => {
  for (const event of sampleEvents()) {
    const polluted = {
      ...event,
      value: 'sk-live-SHOULD-NOT-APPEAR',
      token: 'ghp_SHOULD_NOT_APPEAR',
    } as unknown as WardenEvent;
    const text = JSON.stringify(toOcsf(polluted, ctx, 0));
    assert.ok(!text.includes('SHOULD-NOT-APPEAR') && !text.includes('SHOULD_NOT_APPEAR'), event.type);
  }
});
