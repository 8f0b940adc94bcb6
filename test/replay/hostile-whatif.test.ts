// The what-if replay from the attacker's (and the careless user's) side: policy files that
// do not parse, a --since that is not a time, bodies the schema refuses, a sandbox filter
// written as SQL, replays and approvals that do not exist. Each is refused with a message
// that names the problem; nothing runs.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ReplayRequest } from '../../supervisor/api/replay-types.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { AFTER, BEFORE, replay, writePolicies } from '../support/replay.ts';
import { tempDir } from '../support/temp-dir.ts';
import { runWarden } from '../support/warden-cli.ts';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon();
});
after(async () => {
  await d?.stop();
});

const documents = {
  kind: 'documents' as const,
  before: { yaml: BEFORE, source: 'before.yaml' },
  after: { yaml: AFTER, source: 'after.yaml' },
};

test('a policy file that does not parse is named with its line, and nothing is replayed', async (t) => {
  const dir = tempDir(t);
  const { before: a } = writePolicies(dir);
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: warden.dev/v1\nkind: Policy\nspec: [unclosed\n');
  const env = { ...process.env, WARDEN_HOME: d.home };
  const run = await runWarden(['policy', 'diff', a, bad, '--against-audit'], env, { timeoutMs: 60_000 });
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`${bad.replaceAll('.', '\\.')}:\\d+:\\d+`));
  assert.match(run.stderr, /is not a valid policy/);
  assert.equal(run.stdout, '');
  assert.equal((await d.client.call('GET /v1/tasks')).filter((x) => x.kind === 'policy.replay').length, 0);
});

test('--since garbage is a usage error that shows the accepted forms', async (t) => {
  const { before: a, after: b } = writePolicies(tempDir(t));
  const env = { ...process.env, WARDEN_HOME: d.home };
  for (const since of ['garbage', "1d'; DROP TABLE records"]) {
    const run = await runWarden(['policy', 'diff', a, b, '--against-audit', '--since', since], env, {
      timeoutMs: 60_000,
    });
    assert.equal(run.code, 2, `${since}: ${run.stderr}`);
    assert.match(run.stderr, /--since: cannot read the time .*ISO-8601 .*7d/);
  }
  const alone = await runWarden(['policy', 'diff', a, b, '--since', '7d'], env, { timeoutMs: 60_000 });
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /--since and --sandbox go with --against-audit/);
});

test('the API refuses what it cannot replay, naming why', async () => {
  const call = (body: unknown) => d.client.call('POST /v1/policy/replay', { body: body as ReplayRequest });
  await assert.rejects(
    call({ change: { ...documents, after: { yaml: 'kind: [', source: 'x.yaml' } } }),
    (e: Error & { details?: { errors?: unknown[] } }) =>
      e.name === 'PolicyInvalid' &&
      /after policy \(x\.yaml\)/.test(e.message) &&
      (e.details?.errors?.length ?? 0) > 0,
  );
  await assert.rejects(
    call({ change: documents, since: 'yesterday' }),
    (e: Error) => e.name === 'BadRequest' && /since: cannot read the time/.test(e.message),
  );
  await assert.rejects(call({ change: documents, sql: 'DROP TABLE records' }), { name: 'BadRequest' });
  await assert.rejects(call({ change: { kind: 'documents', before: documents.before } }), {
    name: 'BadRequest',
  });
  await assert.rejects(call({ change: { kind: 'approval', approvalId: 'ap-nope', decision: 'allow' } }), {
    name: 'ApprovalNotFound',
  });
  await assert.rejects(
    call({ change: { kind: 'layer', layer: 'project', sandboxId: 'sb-nope', yaml: AFTER } }),
    { name: 'SandboxNotFound' },
  );
  await assert.rejects(d.client.call('GET /v1/policy/replay/:taskId', { params: { taskId: 'task-nope' } }), {
    name: 'TaskNotFound',
  });
});

test('a sandbox filter written as SQL is a value, and matches nothing', async () => {
  const r = await replay(d.client, { change: documents, sandbox: "x' OR '1'='1" });
  assert.equal(r.state, 'done');
  assert.equal(r.scanned, 0);
  assert.deepEqual(r.differences, []);
});
