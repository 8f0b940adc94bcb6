// The audit trail's test samples: one event of every WardenEvent type, numbered request
// events and a fixed device (temporary folders come from ../temp-dir.ts).

import type { WardenEvent } from '../../../supervisor/api/events.ts';
import type { PolicyDiff } from '../../../supervisor/api/policy-types.ts';
import type { DeviceInfo } from '../../../supervisor/audit/ocsf.ts';

export const TEST_DEVICE: DeviceInfo = {
  hostname: 'devbox',
  os: { name: 'Linux', type: 'Linux', type_id: 100, version: '6.1.0' },
};

export const T0 = Date.parse('2026-11-03T10:00:00.000Z');

export const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();

const emptyDiff: PolicyDiff = {
  added: [
    { layer: 'base', source: '/home/a/policy.yaml', index: 0, match: 'api.github.com', action: 'allow' },
  ],
  removed: [],
  changed: [],
  reordered: [],
  outcomeChanges: [],
  empty: false,
};

/** One event of every type, in a plausible order. */
export function sampleEvents(): WardenEvent[] {
  const id = { sandboxId: 'sb-1', user: 'alice' };
  return [
    { type: 'daemon.started', time: iso(0), user: 'alice', pid: 4242, version: '0.1.0' },
    { type: 'sandbox.state', time: iso(1), ...id, state: 'RUNNING', previous: 'STARTING' },
    {
      type: 'request.decided',
      id: 'rq-1',
      time: iso(2),
      ...id,
      method: 'GET',
      scheme: 'https',
      host: 'api.github.com',
      port: 443,
      path: '/repos/acme/app',
      address: '140.82.112.6',
      outcome: 'allowed',
      rule: {
        layer: 'project',
        source: '/w/warden.yaml',
        index: 0,
        line: 4,
        match: 'api.github.com',
        action: 'allow',
      },
      reason: 'rule 1 allows api.github.com',
      decidedBy: 'policy',
      intercepted: true,
      status: 200,
      bytesUp: 300,
      bytesDown: 5000,
      durationMs: 80,
    },
    {
      type: 'approval.pending',
      time: iso(3),
      ...id,
      approval: {
        ...id,
        id: 'ap-1',
        createdAt: iso(3),
        expiresAt: iso(60_003),
        method: 'POST',
        scheme: 'https',
        host: 'registry.npmjs.org',
        port: 443,
        path: '/-/v1/login',
        reason: 'no rule matches; default ask',
        rule: null,
        suggestedRule: { match: 'registry.npmjs.org', methods: ['POST'] },
        waiting: 1,
      },
    },
    {
      type: 'approval.answered',
      time: iso(4),
      ...id,
      approvalId: 'ap-1',
      decision: 'deny',
      scope: 'once',
      by: 'bob',
      method: 'POST',
      host: 'registry.npmjs.org',
      path: '/-/v1/login',
    },
    {
      type: 'approval.expired',
      time: iso(5),
      ...id,
      approvalId: 'ap-2',
      method: 'PUT',
      host: 'example.org',
      path: '/x',
      timeoutSeconds: 60,
    },
    { type: 'secret.injected', time: iso(6), ...id, secret: 'GITHUB_TOKEN', host: 'api.github.com' },
    {
      type: 'secret.exfiltration_blocked',
      time: iso(7),
      ...id,
      secret: 'GITHUB_TOKEN',
      host: 'evil.example',
      where: 'authorization',
      method: 'POST',
      path: '/collect',
    },
    {
      type: 'policy.changed',
      time: iso(8),
      user: 'alice',
      layer: 'base',
      source: '/home/a/policy.yaml',
      diff: emptyDiff,
    },
    { type: 'user.action', time: iso(9), user: 'alice', action: 'secret.set', target: 'GITHUB_TOKEN' },
    {
      type: 'sandbox.state',
      time: iso(10),
      ...id,
      state: 'ERROR',
      previous: 'RUNNING',
      reason: 'qemu exited 1',
    },
    { type: 'daemon.stopping', time: iso(11), user: 'alice', pid: 4242, version: '0.1.0' },
  ];
}

/** A `secret.redacted` event (kept out of sampleEvents, whose count other tests rely on). */
export function redactedEvent(): WardenEvent {
  return {
    type: 'secret.redacted',
    time: iso(12),
    sandboxId: 'sb-1',
    user: 'alice',
    secret: 'GITHUB_TOKEN',
    host: 'api.github.com',
    where: 'body',
    method: 'GET',
    path: '/debug/echo',
  };
}

/** An `approval.cancelled` event, its sandbox removed (kept out of sampleEvents too). */
export function cancelledEvent(): WardenEvent {
  return {
    type: 'approval.cancelled',
    time: iso(13),
    sandboxId: 'sb-1',
    user: 'alice',
    approvalId: 'ap-3',
    method: 'GET',
    host: 'example.org',
    path: '/held',
    query: 'page=2',
    reason: 'sandbox sb-1 was removed',
  };
}

/** An "always" answer taken back from the CLI (kept out of sampleEvents too). */
export function revokedEvent(): WardenEvent {
  return {
    type: 'approval.revoked',
    time: iso(14),
    sandboxId: 'sb-1',
    user: 'alice',
    approvalId: 'ap-4',
    by: 'alice',
    client: 'cli',
    decision: 'allow',
    method: 'GET',
    host: 'example.org',
    path: '/always',
    ruleRemoved: true,
  };
}

/** The reviewer hook's answer, with its reason (kept out of sampleEvents too). */
export function hookAnsweredEvent(): WardenEvent {
  return {
    type: 'approval.answered',
    time: iso(15),
    sandboxId: 'sb-1',
    user: 'alice',
    approvalId: 'ap-5',
    decision: 'deny',
    scope: 'once',
    by: 'reviewer-hook',
    client: 'reviewer-hook',
    reason: 'uploads are not allowed',
    method: 'PUT',
    host: 'example.org',
    path: '/upload',
  };
}

/** A request event with the given index (varied sandbox, host and outcome). */
export function requestEvent(
  i: number,
  overrides: Partial<Extract<WardenEvent, { type: 'request.decided' }>> = {},
): WardenEvent {
  return {
    type: 'request.decided',
    id: `rq-${i}`,
    time: iso(i * 1000),
    sandboxId: `sb-${i % 3}`,
    user: 'alice',
    method: 'GET',
    scheme: 'https',
    host: `h${i % 4}.example.com`,
    port: 443,
    path: `/p/${i}`,
    outcome: i % 5 === 0 ? 'denied' : 'allowed',
    rule: null,
    reason: 'test',
    decidedBy: 'policy',
    bytesUp: 1,
    bytesDown: 2,
    durationMs: 3,
    ...overrides,
  };
}

/** Tests read deep into OCSF objects whose shape the assertions themselves check. */
// biome-ignore lint/suspicious/noExplicitAny: test-only escape hatch for deep property reads
export type Loose = any;

/** An `mcp.call` event, a denied tool call with its arguments recorded (kept out of sampleEvents). */
export function mcpCallEvent(over: Partial<Extract<WardenEvent, { type: 'mcp.call' }>> = {}): WardenEvent {
  return {
    type: 'mcp.call',
    time: iso(14),
    sandboxId: 'sb-1',
    user: 'alice',
    requestId: 'req-mcp-1',
    server: 'github',
    host: 'mcp.example.com',
    port: 443,
    path: '/mcp',
    method: 'tools/call',
    name: 'delete_repo',
    callId: '7',
    sessionId: 'sess-1',
    outcome: 'denied',
    rule: {
      layer: 'project',
      source: './policy.yaml',
      server: 0,
      list: 'tools',
      index: 1,
      pattern: 'delete_*',
      action: 'deny',
    },
    reason: 'spec.mcp rule tools[2] "delete_*" denies it',
    decidedBy: 'policy',
    argumentBytes: 17,
    arguments: '{"repo":"acme/x"}',
    ...over,
  };
}
