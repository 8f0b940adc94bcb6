// What-if replay helpers for tests: a trail recorded by real traffic (curl through a real
// daemon's proxy to a loopback upstream), the two policy files whose difference flips part
// of it, and waiting on a replay's result through the API.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReplayRequest, ReplayResult } from '../../supervisor/api/replay-types.ts';
import type { ApiClient } from '../../supervisor/client/api-client.ts';
import { curl } from './curl.ts';
import { policyYaml, type TestDaemon, until } from './daemon.ts';
import type { Upstreams } from './upstreams.ts';

/** Before: the loopback upstream is allowed. After: only GET /repos/** on it. */
export const BEFORE = policyYaml('- match: 127.0.0.1\n  action: allow');
export const AFTER = policyYaml(
  '- match: 127.0.0.1\n  methods: [GET]\n  paths: ["/repos/**"]\n  action: allow',
);

export function writePolicies(dir: string): { before: string; after: string } {
  const before = path.join(dir, 'before.yaml');
  const after = path.join(dir, 'after.yaml');
  writeFileSync(before, BEFORE);
  writeFileSync(after, AFTER);
  return { before, after };
}

export interface RecordedTrail {
  a: string;
  b: string;
  /** The upstream's port: part of every recorded shape. */
  port: number;
}

/**
 * Sandbox a: GET /repos/x ×3, POST /repos/x ×2, GET /other ×1. Sandbox b: GET /repos/x ×2,
 * DELETE /repos/x ×1. All allowed when recorded (both run BEFORE); waits until the 9
 * requests are in the audit trail.
 */
export async function recordTrail(d: TestDaemon, up: Upstreams): Promise<RecordedTrail> {
  const a = await d.listener(BEFORE, { label: 'a' });
  const b = await d.listener(BEFORE, { label: 'b' });
  const url = (p: string) => `http://127.0.0.1:${up.httpPort}${p}`;
  const runs: Array<[Record<string, string>, string, string]> = [
    [a.env, 'GET', '/repos/x'],
    [a.env, 'GET', '/repos/x'],
    [a.env, 'GET', '/repos/x'],
    [a.env, 'POST', '/repos/x'],
    [a.env, 'POST', '/repos/x'],
    [a.env, 'GET', '/other'],
    [b.env, 'GET', '/repos/x'],
    [b.env, 'GET', '/repos/x'],
    [b.env, 'DELETE', '/repos/x'],
  ];
  for (const [env, method, p] of runs) {
    const r = await curl(env, ['-X', method, url(p)]);
    if (r.status !== 200) throw new Error(`${method} ${p}: ${r.status} ${r.body}`);
  }
  await until(
    'the 9 requests in the audit trail',
    async () =>
      (await d.client.call('GET /v1/audit', { query: { kind: 'request.decided', limit: '100' } })).records
        .length >= 9,
    10_000,
  );
  return { a: a.listener.sandboxId, b: b.listener.sandboxId, port: up.httpPort };
}

/** Start a replay and wait for it to end. */
export async function replay(client: ApiClient, body: ReplayRequest, ms = 60_000): Promise<ReplayResult> {
  const { taskId } = await client.call('POST /v1/policy/replay', { body });
  return until(
    `replay ${taskId} to end`,
    async () => {
      const r = await client.call('GET /v1/policy/replay/:taskId', { params: { taskId } });
      return r.state === 'running' ? undefined : r;
    },
    ms,
  );
}

/** Each difference as [sandbox, method, path, count, before, after]. */
export function rows(r: ReplayResult): Array<[string | null, string, string, number, string, string]> {
  return r.differences.map((d) => [d.sandboxId, d.method, d.path, d.count, d.before.action, d.after.action]);
}
