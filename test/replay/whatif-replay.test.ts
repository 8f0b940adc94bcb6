// What-if replay end to end: a trail recorded by real curl traffic through a real daemon's
// proxy, a rule change that flips part of it, and the exact set of request shapes with their
// counts, through the API and through `warden policy diff --against-audit`; the sandbox and
// since filters; a layer edit replayed per sandbox; a cancel mid-way.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import {
  AFTER,
  BEFORE,
  type RecordedTrail,
  recordTrail,
  replay,
  rows,
  writePolicies,
} from '../support/replay.ts';
import { tempDir } from '../support/temp-dir.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';
import { runWarden } from '../support/warden-cli.ts';

let d: TestDaemon;
let up: Upstreams;
let trail: RecordedTrail;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon();
  trail = await recordTrail(d, up);
});

after(async () => {
  await d?.stop();
  await up?.close();
});

const documents = {
  kind: 'documents' as const,
  before: { yaml: BEFORE, source: 'before.yaml' },
  after: { yaml: AFTER, source: 'after.yaml' },
};

test('the API lists exactly the recorded shapes the change flips, with counts, grouped by sandbox', async () => {
  const r = await replay(d.client, { change: documents });
  assert.equal(r.state, 'done');
  assert.equal(r.scanned, 9);
  const [first, second] = [trail.a, trail.b].sort();
  const expected = [
    [trail.a, 'POST', '/repos/x', 2, 'allow', 'deny'],
    [trail.a, 'GET', '/other', 1, 'allow', 'deny'],
    [trail.b, 'DELETE', '/repos/x', 1, 'allow', 'deny'],
  ].sort((x, y) => (x[0] === y[0] ? 0 : x[0] === first ? -1 : 1));
  assert.ok(first && second);
  assert.deepEqual(rows(r), expected);
  assert.equal(r.requestsDiffering, 4);
  const post = r.differences.find((x) => x.method === 'POST');
  assert.equal(post?.host, '127.0.0.1');
  assert.equal(post?.port, trail.port);
  assert.equal(post?.before.rule?.source, 'before.yaml');
  assert.equal(post?.after.rule, null, 'after the change no rule matches a POST: the default denies');
  assert.ok(post && Date.parse(post.firstSeen) <= Date.parse(post.lastSeen));
  const task = (await d.client.call('GET /v1/tasks')).find((t) => t.id === r.taskId);
  assert.equal(task?.kind, 'policy.replay');
  assert.equal(task?.state, 'done');
  assert.equal(task?.progress?.unit, 'records');
});

test('--sandbox and --since narrow the records replayed', async () => {
  const b = await replay(d.client, { change: documents, sandbox: trail.b });
  assert.deepEqual(rows(b), [[trail.b, 'DELETE', '/repos/x', 1, 'allow', 'deny']]);
  const future = await replay(d.client, {
    change: documents,
    since: new Date(Date.now() + 60_000).toISOString(),
  });
  assert.equal(future.scanned, 0);
  assert.deepEqual(future.differences, []);
  const week = await replay(d.client, { change: documents, since: '7d' });
  assert.equal(week.scanned, 9);
  assert.equal(week.since !== undefined && Date.now() - week.since > 6 * 86_400_000, true);
});

test('warden policy diff --against-audit prints the recorded differences by sandbox, then the examples', async (t) => {
  const { before: a, after: b } = writePolicies(tempDir(t));
  const env = { ...process.env, WARDEN_HOME: d.home };
  const run = await runWarden(['policy', 'diff', a, b, '--against-audit'], env, { timeoutMs: 90_000 });
  assert.equal(run.code, 1, run.stderr);
  const out = run.stdout;
  assert.match(
    out,
    /^Recorded requests decided differently:\n {2}4 of 9 recorded requests \(3 request shapes\)/,
  );
  const port = trail.port;
  assert.ok(out.indexOf(`sandbox ${trail.a}`) >= 0 && out.indexOf(`sandbox ${trail.b}`) >= 0, out);
  assert.match(
    out,
    new RegExp(
      `POST http://127\\.0\\.0\\.1:${port}/repos/x {2}×2, last seen [^:]+:[^ ]+: allow \\(project rule 1, `,
    ),
  );
  assert.match(out, new RegExp(`GET http://127\\.0\\.0\\.1:${port}/other {2}×1`));
  assert.match(out, new RegExp(`DELETE http://127\\.0\\.0\\.1:${port}/repos/x {2}×1`));
  assert.doesNotMatch(
    out,
    new RegExp(`GET http://127\\.0\\.0\\.1:${port}/repos/x`),
    'GET /repos/x is decided the same',
  );
  const examples = out.indexOf('Examples made from the rules:');
  assert.ok(examples > out.indexOf(`sandbox ${trail.b}`), 'the synthesised examples come second');
  assert.match(out.slice(examples), /outcome changes:/);

  const json = await runWarden(
    ['policy', 'diff', a, b, '--against-audit', '--sandbox', trail.a, '--json'],
    env,
    {
      timeoutMs: 90_000,
    },
  );
  const parsed = JSON.parse(json.stdout) as {
    replay: { differences: Array<{ sandboxId: string; count: number }> };
  };
  assert.deepEqual(
    parsed.replay.differences.map((x) => [x.sandboxId, x.count]),
    [
      [trail.a, 2],
      [trail.a, 1],
    ],
  );
});

test("a layer edit is replayed against each sandbox's own layers", async () => {
  // The base gains a deny for DELETE: nothing flips, since each sandbox's project rule comes
  // first and allows every method (the documents replay above, without layers, flipped b's).
  const base = policyYaml('- match: 127.0.0.1\n  methods: [DELETE]\n  action: deny');
  const edit = await replay(d.client, { change: { kind: 'layer', layer: 'base', yaml: base } });
  assert.deepEqual(rows(edit), []);
  const project = policyYaml('- match: 127.0.0.1\n  methods: [GET]\n  action: allow');
  const onA = await replay(d.client, {
    change: { kind: 'layer', layer: 'project', sandboxId: trail.a, yaml: project },
  });
  assert.deepEqual(rows(onA), [[trail.a, 'POST', '/repos/x', 2, 'allow', 'deny']]);
});

test('a replay cancelled mid-way ends cancelled, and the next one runs', async () => {
  const { taskId } = await d.client.call('POST /v1/policy/replay', { body: { change: documents } });
  await d.client.call('POST /v1/tasks/:taskId/cancel', { params: { taskId } });
  const r = await until(
    'the cancelled replay to end',
    async () => {
      const x = await d.client.call('GET /v1/policy/replay/:taskId', { params: { taskId } });
      return x.state === 'running' ? undefined : x;
    },
    30_000,
  );
  assert.equal(r.state, 'cancelled');
  assert.deepEqual(r.differences, []);
  const task = (await d.client.call('GET /v1/tasks')).find((t) => t.id === taskId);
  assert.equal(task?.state, 'cancelled');
  assert.equal((await replay(d.client, { change: documents })).requestsDiffering, 4);
});
