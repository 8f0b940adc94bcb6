// The Freelens 2 package's main side, built and loaded as the host loads it (a stand-in that
// follows the documented contract, test/support/freelens-host.ts), against a real Warden
// daemon on its real unix socket: a request through a Warden proxy is held, the extension's
// IPC lists it and answers it, and the held curl gets its response; then the bad cases.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { after, before, type TestContext, test } from 'node:test';
import { buildFreelensPackage } from '../../extension/build.mjs';
import type { AnswerResult, CancelTaskResult, Snapshot } from '../../extension/src/common/ipc.ts';
import { BROADCAST_CHANNELS, WARDEN_IPC } from '../../extension/src/common/ipc.ts';
import type { TaskView } from '../../supervisor/api/tasks.ts';
import { VERSION } from '../../supervisor/api/version.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, until } from '../support/daemon.ts';
import { heldImageBuild } from '../support/fake-image-build.ts';
import { type LoadedExtension, loadFreelensExtension } from '../support/freelens-host.ts';
import { makeTempDir, tempDir } from '../support/temp-dir.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

const built = makeTempDir('warden-freelens-pkg-');
const pkg = path.join(built.dir, 'freelens');
let up: Upstreams;

before(async () => {
  await buildFreelensPackage({ outdir: pkg });
  up = await startUpstreams();
});
after(async () => {
  await up.close();
  built.dispose();
});

const ASK = policyYaml('- match: 127.0.0.1\n  action: ask');

/** Loads the built package with WARDEN_HOME pointing at `home`; deactivated when `t` ends. */
async function load(t: TestContext, home: string): Promise<LoadedExtension> {
  process.env.WARDEN_HOME = home;
  const ext = await loadFreelensExtension(pkg);
  t.after(() => ext.deactivate());
  return ext;
}

const snapshot = async (ext: LoadedExtension) => (await ext.invoke(WARDEN_IPC.snapshot)) as Snapshot;

async function connected(ext: LoadedExtension, ms = 15_000): Promise<Snapshot> {
  return until(
    'the extension to connect',
    async () => {
      const s = await snapshot(ext);
      return s.connection.kind === 'connected' && s;
    },
    ms,
  );
}

async function listed(ext: LoadedExtension, urlPath: string) {
  return until(
    `the held request ${urlPath} to be listed over IPC`,
    async () => (await snapshot(ext)).approvals.find((a) => a.path === urlPath),
    10_000,
  );
}

const lastBroadcast = (ext: LoadedExtension) =>
  ext.broadcasts.filter((b) => b.channel === WARDEN_IPC.changed).at(-1)?.args[0] as Snapshot | undefined;

test('a held request is listed over the IPC, answered there, and curl gets its response', async (t) => {
  const d = await startTestDaemon({ label: 'lens' });
  t.after(() => d.stop());
  const ext = await load(t, d.home);
  const s = await connected(ext);
  assert.equal(s.connection.kind === 'connected' && s.connection.daemonVersion, VERSION);
  assert.deepEqual(s.approvals, []);

  const { env, listener } = await d.listener(ASK);
  const held = curl(env, [`http://127.0.0.1:${up.httpPort}/lens-held?q=1`]);
  const approval = await listed(ext, '/lens-held');
  assert.equal(approval.sandboxId, listener.sandboxId);
  assert.equal(approval.query, 'q=1');
  assert.ok(
    lastBroadcast(ext)?.approvals.some((a) => a.id === approval.id),
    'the renderer was told of the new approval by a broadcast',
  );

  const answer = (await ext.invoke(WARDEN_IPC.answer, approval.id, {
    decision: 'allow',
    scope: 'once',
  })) as AnswerResult;
  assert.equal(answer.ok, true);
  const response = await held;
  assert.equal(response.status, 200, response.stderr);
  assert.ok(
    up.received.some((r) => r.url === '/lens-held?q=1'),
    'the upstream got the request',
  );
  await until('the card to go', async () => (await snapshot(ext)).approvals.length === 0);
  const answered = d.events.find((e) => e.type === 'approval.answered' && e.approvalId === approval.id);
  assert.equal(
    answered?.type === 'approval.answered' && answered.client,
    'lens',
    'the answer names Lens as its client',
  );

  const token = readFileSync(path.join(d.home, 'token'), 'utf8').trim();
  const seen = JSON.stringify([ext.logs, ext.broadcasts]);
  assert.ok(!seen.includes(token), 'the token is in no log line and no broadcast');
});

test('an approval answered elsewhere disappears, and answering it then is no error', async (t) => {
  const d = await startTestDaemon({ label: 'lens' });
  t.after(() => d.stop());
  const ext = await load(t, d.home);
  await connected(ext);
  const { env } = await d.listener(ASK);
  const held = curl(env, [`http://127.0.0.1:${up.httpPort}/answered-elsewhere`]);
  const approval = await listed(ext, '/answered-elsewhere');

  await d.client.call('POST /v1/approvals/:id', {
    params: { id: approval.id },
    body: { decision: 'deny', scope: 'once' },
  });
  await until(
    'the card to go on the answered event',
    async () => (await snapshot(ext)).approvals.length === 0,
  );
  assert.deepEqual(lastBroadcast(ext)?.approvals, []);
  assert.notEqual((await held).status, 200, 'the other client denied it');

  // A renderer still showing the card answers it: the card goes, nothing is logged as an error.
  const late = (await ext.invoke(WARDEN_IPC.answer, approval.id, {
    decision: 'allow',
    scope: 'once',
  })) as AnswerResult;
  assert.equal(late.ok, false);
  assert.equal(!late.ok && late.gone, true);
  assert.equal(!late.ok && late.error.name, 'ApprovalNotFound');
  assert.deepEqual(
    ext.logs.filter((l) => /^(warn|error) /.test(l)),
    [],
  );
});

test('no daemon: a clear state with the command that starts it; it connects once the daemon starts', async (t) => {
  const home = tempDir(t, 'warden-lens-absent-');
  const ext = await load(t, home);
  const absent = await until('the daemon-absent state', async () => {
    const c = (await snapshot(ext)).connection;
    return c.kind === 'daemon-absent' && c;
  });
  assert.equal(absent.command, 'warden daemon');
  assert.match(absent.message, /not running/);
  assert.ok(absent.message.includes(home), 'the message names the state folder it looked in');
  assert.ok(absent.retryInMs > 0);
  const refused = (await ext.invoke(WARDEN_IPC.answer, 'some-id', {
    decision: 'allow',
    scope: 'once',
  })) as AnswerResult;
  assert.equal(refused.ok, false);
  assert.match(!refused.ok ? (refused.error.hint ?? '') : '', /warden daemon/);

  const d = await startTestDaemon({ home });
  t.after(() => d.stop());
  await connected(ext);
});

test('a daemon restarted mid-stream: the extension reconnects with the new token and answers again', async (t) => {
  const first = await startTestDaemon({ label: 'lens' });
  const ext = await load(t, first.home);
  await connected(ext);
  const { env } = await first.listener(ASK);
  const held = curl(env, [`http://127.0.0.1:${up.httpPort}/before-restart`]);
  await listed(ext, '/before-restart');

  await first.daemon.stop();
  await held;
  await until('the stale card to go and the state to leave connected', async () => {
    const s = await snapshot(ext);
    return s.connection.kind !== 'connected' && s.approvals.length === 0;
  });

  const second = await startTestDaemon({ home: first.home, label: 'lens' });
  t.after(() => second.stop());
  await connected(ext);
  const again = await second.listener(ASK);
  const heldAgain = curl(again.env, [`http://127.0.0.1:${up.httpPort}/after-restart`]);
  const approval = await listed(ext, '/after-restart');
  const answer = (await ext.invoke(WARDEN_IPC.answer, approval.id, {
    decision: 'allow',
    scope: 'once',
  })) as AnswerResult;
  assert.equal(answer.ok, true);
  assert.equal((await heldAgain).status, 200);
});

test('a refused token: a clear state that names the file, the token nowhere; fixed, it connects', async (t) => {
  const d = await startTestDaemon({ label: 'lens' });
  t.after(() => d.stop());
  const tokenFile = path.join(d.home, 'token');
  const real = readFileSync(tokenFile, 'utf8');
  const wrong = 'wrong-token-0123456789abcdef0123456789abcdef';
  writeFileSync(tokenFile, wrong);
  const ext = await load(t, d.home);
  const refused = await until('the token-refused state', async () => {
    const c = (await snapshot(ext)).connection;
    return c.kind === 'token-refused' && c;
  });
  assert.ok(refused.message.includes(tokenFile));
  assert.match(refused.hint, /restart the daemon|state folder/);
  const seen = JSON.stringify([await snapshot(ext), ext.logs, ext.broadcasts]);
  assert.ok(
    !seen.includes(wrong) && !seen.includes(real.trim()),
    'no token in the state, the logs or a broadcast',
  );

  writeFileSync(tokenFile, real);
  await ext.invoke(WARDEN_IPC.retry);
  await connected(ext, 5000);
});

test('the package: engines.freelens ^2.0.0, ESM main, no dependencies, no scripts, only Node built-ins', async (t) => {
  const manifest = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8'));
  assert.deepEqual(manifest.engines, { freelens: '^2.0.0' });
  assert.equal(manifest.type, 'module');
  assert.equal(manifest.main, 'main.js');
  assert.equal(manifest.version, VERSION);
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'scripts'])
    assert.equal(manifest[field], undefined, `no ${field}`);
  const code = readFileSync(path.join(pkg, 'main.js'), 'utf8');
  const imports = [...code.matchAll(/(?:from|import\(|require\()\s*["']([^"']+)["']/g)].map((m) => m[1]!);
  assert.ok(imports.length > 0);
  assert.deepEqual(
    imports.filter((s) => !s.startsWith('node:') && !builtinModules.includes(s) && s !== 'electron'),
    [],
    'the main entry imports nothing but Node built-ins and Electron',
  );
  const ext = await load(t, tempDir(t, 'warden-lens-shape-'));
  assert.deepEqual(
    ext.channels().sort(),
    Object.values(WARDEN_IPC)
      .filter((c) => !BROADCAST_CHANNELS.includes(c))
      .sort(),
  );
});

test('deactivated (a reload), it lets go of the daemon; the rebuilt entry connects again', async (t) => {
  const d = await startTestDaemon({ label: 'lens' });
  t.after(() => d.stop());
  process.env.WARDEN_HOME = d.home;
  const first = await loadFreelensExtension(pkg);
  await connected(first);
  await first.deactivate();
  assert.equal(lastBroadcast(first)?.connection.kind, 'stopped');
  const count = first.broadcasts.length;

  const { env } = await d.listener(ASK);
  const held = curl(env, [`http://127.0.0.1:${up.httpPort}/after-deactivate`]);
  const second = await load(t, d.home);
  await connected(second);
  const approval = await listed(second, '/after-deactivate');
  assert.equal(first.broadcasts.length, count, 'the deactivated instance heard nothing more');
  await second.invoke(WARDEN_IPC.answer, approval.id, { decision: 'deny', scope: 'once' });
  assert.notEqual((await held).status, 200);
});

test('long work: an image build is listed over the IPC with its step, broadcast, and cancelled there', async (t) => {
  const dir = tempDir(t);
  const build = heldImageBuild(dir);
  const d = await startTestDaemon({
    label: 'lens',
    daemon: { poolSize: 0, imageBuildCommand: build.command },
  });
  t.after(() => d.stop());
  const ext = await load(t, d.home);
  await connected(ext);
  assert.deepEqual(await ext.invoke(WARDEN_IPC.tasks), []);
  const create = d.client
    .call('POST /v1/sandboxes', { body: { label: 'needs-an-image' } })
    .catch((e: Error) => e);
  const running = await until(
    'the build to be listed over IPC with its step',
    async () =>
      ((await ext.invoke(WARDEN_IPC.tasks)) as TaskView[]).find(
        (task) =>
          task.kind === 'image.build' && task.state === 'running' && task.step === 'downloading the kernel',
      ),
    15_000,
  );
  assert.equal(running.cancellable, true);
  const broadcast = ext.broadcasts.filter((b) => b.channel === WARDEN_IPC.tasksChanged).at(-1)
    ?.args[0] as TaskView[];
  assert.ok(
    broadcast.some((task) => task.id === running.id),
    'the renderer was told without asking',
  );

  const refused = (await ext.invoke(WARDEN_IPC.cancelTask, '')) as CancelTaskResult;
  assert.equal(refused.ok, false);
  const unknown = (await ext.invoke(WARDEN_IPC.cancelTask, 'task-nope')) as CancelTaskResult;
  assert.deepEqual([unknown.ok, !unknown.ok && unknown.gone], [false, true]);

  const cancelled = (await ext.invoke(WARDEN_IPC.cancelTask, running.id)) as CancelTaskResult;
  assert.equal(cancelled.ok, true);
  assert.match(String(await create), /cancelled by a user/);
  const ended = await until(
    'the cancelled build to be broadcast',
    async () => {
      const last = ext.broadcasts.filter((b) => b.channel === WARDEN_IPC.tasksChanged).at(-1)
        ?.args[0] as TaskView[];
      return last?.find((task) => task.id === running.id && task.state === 'cancelled');
    },
    10_000,
  );
  assert.equal(ended.cancellable, false);
  const again = (await ext.invoke(WARDEN_IPC.cancelTask, running.id)) as CancelTaskResult;
  assert.equal(again.ok, false, 'an ended task cannot be cancelled again');
});
