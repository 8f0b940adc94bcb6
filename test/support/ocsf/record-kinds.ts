// Every kind of record the device writes (and the hub holds and exports), with the variants
// that change the mapping: each HTTP method family, denied and allowed, model usage, MCP
// tools and resources, sandbox errors, policy and user actions with and without a sandbox.
// (The store's retention checkpoint comes from a real prune.) The OCSF 1.9 tests validate all.

import type { WardenEvent } from '../../../supervisor/api/events.ts';
import {
  cancelledEvent,
  hookAnsweredEvent,
  iso,
  mcpCallEvent,
  redactedEvent,
  requestEvent,
  revokedEvent,
  sampleEvents,
} from '../audit/samples.ts';

export function everyRecordKind(): WardenEvent[] {
  const ended = {
    type: 'request.ended',
    id: 'rq-1',
    time: iso(20),
    sandboxId: 'sb-1',
    user: 'alice',
    method: 'post',
    scheme: 'https',
    host: 'api.anthropic.com',
    port: 443,
    path: '/v1/messages',
    address: '160.79.104.10',
    outcome: 'allowed',
    status: 200,
    reason: 'completed',
    bytesUp: 1200,
    bytesDown: 800,
    durationMs: 950,
  } as const;
  return [
    ...sampleEvents(),
    redactedEvent(),
    cancelledEvent(),
    revokedEvent(),
    hookAnsweredEvent(),
    mcpCallEvent(),
    mcpCallEvent({ method: 'resources/read', name: 'file:///README.md', outcome: 'allowed' }),
    requestEvent(5), // denied
    requestEvent(6, { method: 'PROPFIND' }),
    requestEvent(7, { method: 'BREW', query: 'pot=1' }), // not a registered method: Other
    requestEvent(8, { method: 'CONNECT', scheme: 'https', path: '' }),
    ended,
    {
      ...ended,
      id: 'rq-2',
      outcome: 'denied',
      reason: 'stopped: sandbox removed',
      usage: {
        api: 'anthropic.messages',
        model: 'claude-sonnet-4',
        inputTokens: 10,
        outputTokens: 20,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: null,
        incomplete: 'stream cut',
      },
    },
    { ...ended, id: 'rq-3', outcome: 'timed_out', reason: 'upstream timed out' },
    {
      type: 'sandbox.state',
      time: iso(21),
      sandboxId: 'sb-2',
      user: 'bob',
      state: 'ERROR',
      previous: 'STARTING',
      reason: 'qemu exited 1',
    },
    {
      type: 'sandbox.state',
      time: iso(22),
      sandboxId: 'sb-2',
      user: 'bob',
      state: 'STOPPED',
      previous: 'RUNNING',
    },
    {
      type: 'user.action',
      time: iso(23),
      user: 'bob',
      sandboxId: 'sb-2',
      action: 'sandbox.remove',
      target: 'sb-2',
    },
  ];
}
