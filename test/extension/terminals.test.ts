// Governed Lens terminals, through each package's main side loaded by its host's stand-in
// against a real daemon: the clusters the preference names get a Warden listener's
// environment, so curl started in such a terminal is decided by the daemon (and audited);
// other clusters' terminals are untouched; with the daemon gone they fail closed; the
// listener's credential stays in main; turned off, the listener is removed.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildPackages } from '../../extension/build.mjs';
import type { Snapshot, TerminalsResult } from '../../extension/src/common/ipc.ts';
import { WARDEN_IPC } from '../../extension/src/common/ipc.ts';
import { CLOSED_PROXY } from '../../extension/src/main/terminals.ts';
import { curl } from '../support/curl.ts';
import { startTestDaemon, until } from '../support/daemon.ts';
import { loadFreelensExtension, type MainHost } from '../support/freelens-host.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

const built = makeTempDir('warden-lens-terminals-');
let up: Upstreams;
before(async () => {
  await buildPackages({ dist: built.dir });
  up = await startUpstreams();
});
after(async () => {
  await up.close();
  built.dispose();
});

const hosts: Array<[MainHost, string]> = [
  ['freelens2', 'freelens'],
  ['freelens1', 'legacy'],
];

for (const [host, folder] of hosts) {
  test(`${host}: a listed cluster's terminal goes through Warden; others do not; closed without the daemon`, async (t) => {
    const d = await startTestDaemon({ label: 'terminals' });
    process.env.WARDEN_HOME = d.home;
    const ext = await loadFreelensExtension(path.join(built.dir, folder), { host });
    t.after(() => ext.deactivate());
    const snapshot = async () => (await ext.invoke(WARDEN_IPC.snapshot)) as Snapshot;
    await until('connected', async () => (await snapshot()).connection.kind === 'connected', 15_000);
    const plain = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nowhere' };
    assert.deepEqual(ext.terminalEnv('prod-eu', plain), plain, 'off by default');

    for (const bad of [
      { mode: 'some', clusters: [] },
      { mode: 'listed', clusters: [''] },
      { mode: 'listed' },
      'all',
    ])
      assert.equal(((await ext.invoke(WARDEN_IPC.setTerminals, bad)) as TerminalsResult).ok, false);
    const set = (await ext.invoke(WARDEN_IPC.setTerminals, {
      mode: 'listed',
      clusters: ['prod-eu'],
    })) as TerminalsResult;
    assert.equal(set.ok, true);
    const sandboxId = set.ok ? set.terminals.sandboxId : undefined;
    assert.ok(sandboxId, 'a listener was made for the terminals');

    assert.deepEqual(ext.terminalEnv('dev', plain), plain, 'a cluster not listed is untouched');
    const env = ext.terminalEnv('prod-eu', plain) as Record<string, string>;
    assert.equal(env.WARDEN_SANDBOX, sandboxId);
    assert.equal(env.WARDEN_TERMINAL, 'governed');
    const credential = new URL(env.HTTPS_PROXY!).password;
    assert.ok(credential.length > 8);
    const seen = JSON.stringify([await snapshot(), ext.broadcasts, ext.logs]);
    assert.ok(!seen.includes(credential), 'the credential is in no snapshot, broadcast or log line');

    // What an agent in that terminal runs is decided by the daemon, as that sandbox's.
    const fromTerminal = curl(env, [`http://127.0.0.1:${up.httpPort}/from-terminal`]);
    const seenBy = await until(
      'the daemon to decide or hold the request',
      () =>
        d.events.find(
          (e) =>
            (e.type === 'request.decided' && e.path === '/from-terminal') ||
            (e.type === 'approval.pending' && e.approval.path === '/from-terminal'),
        ),
      10_000,
    );
    assert.ok('sandboxId' in seenBy);
    assert.equal(seenBy.sandboxId, sandboxId, "the daemon saw it as the terminal's sandbox");
    if (seenBy.type === 'approval.pending')
      await d.client.call('POST /v1/approvals/:id', {
        params: { id: seenBy.approval.id },
        body: { decision: 'allow', scope: 'once' },
      });
    assert.equal((await fromTerminal).status, 200);

    // The daemon goes: governed terminals fail closed, and say why.
    await d.daemon.stop();
    await until('disconnected', async () => (await snapshot()).connection.kind !== 'connected', 10_000);
    const closed = ext.terminalEnv('prod-eu', plain) as Record<string, string>;
    assert.equal(closed.HTTPS_PROXY, CLOSED_PROXY);
    assert.match(closed.WARDEN_TERMINAL ?? '', /not governed yet/);
    const refused = await curl(closed, ['--max-time', '5', `http://127.0.0.1:${up.httpPort}/while-closed`]);
    assert.equal(refused.status, 0, 'nothing reached');
    assert.ok(!up.received.some((q) => q.url === '/while-closed'));

    // Back, with the preference off: the listener is removed.
    const again = await startTestDaemon({ home: d.home, label: 'terminals' });
    t.after(() => again.stop());
    await ext.invoke(WARDEN_IPC.retry);
    await until('a new listener', async () => (await snapshot()).terminals?.sandboxId, 15_000);
    const newId = (await snapshot()).terminals?.sandboxId;
    assert.ok((await again.client.call('GET /v1/sandboxes')).some((s) => s.sandboxId === newId));
    const off = (await ext.invoke(WARDEN_IPC.setTerminals, { mode: 'off', clusters: [] })) as TerminalsResult;
    assert.equal(off.ok, true);
    assert.ok(!(await again.client.call('GET /v1/sandboxes')).some((s) => s.sandboxId === newId), 'removed');
    assert.deepEqual(ext.terminalEnv('prod-eu', plain), plain);
  });
}
