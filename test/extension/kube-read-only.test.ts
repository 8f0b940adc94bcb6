// "Read-only for agents" clusters with the real kubectl, through the extension's main side
// (each package loaded by its host's stand-in) and a real daemon, against a stand-in API
// server with its own CA: in the cluster's governed terminal `kubectl get pods`, `logs`,
// `describe` and `get --watch` read, while
// delete, `run --dry-run=server` and exec are denied with a reason naming the cluster and
// never reach the server; the server saw the real token (injected by the proxy) or the
// client certificate (presented by the proxy); the derived kubeconfig and the environment
// hold no real credential; every request is audited.

import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildPackages } from '../../extension/build.mjs';
import type { Snapshot, TerminalsResult } from '../../extension/src/common/ipc.ts';
import { WARDEN_IPC } from '../../extension/src/common/ipc.ts';
import { startTestDaemon, until } from '../support/daemon.ts';
import { loadFreelensExtension, type MainHost } from '../support/freelens-host.ts';
import {
  type KubeApiServer,
  kubectl,
  requireKubectl,
  startKubeApiServer,
} from '../support/kube-apiserver.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const built = makeTempDir('warden-lens-kube-');
before(async () => {
  requireKubectl();
  await buildPackages({ dist: built.dir });
});
after(() => built.dispose());

const cases: Array<[MainHost, string, 'token' | 'client-certificate']> = [
  ['freelens2', 'freelens', 'token'],
  ['freelens2', 'freelens', 'client-certificate'],
  ['freelens1', 'legacy', 'client-certificate'],
];

function userFields(k: KubeApiServer, auth: 'token' | 'client-certificate'): Record<string, string> {
  if (auth === 'token') return { token: k.token };
  return {
    'client-certificate-data': Buffer.from(k.clientCertPem).toString('base64'),
    'client-key-data': Buffer.from(k.clientKeyPem).toString('base64'),
  };
}

for (const [host, folder, auth] of cases) {
  test(`${host}, ${auth}: kubectl get, logs, describe, watch read prod-eu; writes, exec, dry runs are denied`, async (t) => {
    const work = makeTempDir('warden-kube-work-');
    t.after(() => work.dispose());
    const k = await startKubeApiServer({ auth });
    t.after(() => k.close());
    const kubeconfig = path.join(work.dir, 'config');
    await k.kubeconfig(kubeconfig, 'prod-eu', userFields(k, auth));

    const d = await startTestDaemon({ label: 'kube' });
    t.after(() => d.stop());
    process.env.WARDEN_HOME = d.home;
    const ext = await loadFreelensExtension(path.join(built.dir, folder), { host });
    t.after(() => ext.deactivate());
    const snapshot = async () => (await ext.invoke(WARDEN_IPC.snapshot)) as Snapshot;
    await until('connected', async () => (await snapshot()).connection.kind === 'connected', 15_000);

    await ext.invoke(WARDEN_IPC.setClusters, [
      { name: 'prod-eu', kubeconfigPath: kubeconfig, kubeconfigContext: 'prod-eu' },
    ]);
    const set = (await ext.invoke(WARDEN_IPC.setTerminals, {
      mode: 'off',
      clusters: [],
      readOnly: ['prod-eu'],
    })) as TerminalsResult;
    assert.equal(set.ok, true);
    const view = set.ok ? set.terminals : undefined;
    assert.deepEqual(view?.readOnly, [{ cluster: 'prod-eu', state: 'ready' }]);
    const sandboxId = view?.sandboxId;
    assert.ok(sandboxId);

    const env = ext.terminalEnv('prod-eu', { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work.dir });
    assert.equal(env.WARDEN_SANDBOX, sandboxId);
    assert.match(env.WARDEN_TERMINAL ?? '', /^governed; cluster prod-eu is read-only for agents/);
    const derived = env.KUBECONFIG ?? '';
    assert.notEqual(derived, kubeconfig);
    assert.equal(statSync(derived).mode & 0o777, 0o600, 'the derived kubeconfig is 0600');
    assert.equal(statSync(path.dirname(derived)).mode & 0o777, 0o700);
    const derivedText = readFileSync(derived, 'utf8');
    const secrets =
      auth === 'token'
        ? [k.token]
        : [k.clientKeyPem, Buffer.from(k.clientKeyPem).toString('base64'), k.clientCertPem];
    for (const where of [
      derivedText,
      JSON.stringify(env),
      JSON.stringify(await snapshot()),
      ext.logs.join('\n'),
    ])
      for (const s of secrets)
        assert.ok(!where.includes(s.trim()), 'no real credential in the kubeconfig, env or views');
    assert.ok(
      !derivedText.includes(Buffer.from(k.caPem).toString('base64')),
      "the cluster's CA is replaced by Warden's",
    );
    assert.match(derivedText, /token: wdn_ph_/, 'a placeholder stands in for the credential');

    const get = await kubectl(env, ['get', 'pods']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /web-1\s+Running/);
    const list = k.seen.find(
      (s) => s.method === 'GET' && s.url.startsWith('/api/v1/namespaces/default/pods'),
    );
    assert.ok(list, 'the stand-in answered the list');
    if (auth === 'token')
      assert.equal(list.authorization, `Bearer ${k.token}`, 'the proxy injected the token');
    else {
      assert.equal(list.clientCn, 'kube-admin', 'the proxy presented the client certificate');
      assert.equal(list.authorization, undefined, "the certificate's placeholder was taken out");
    }

    const podLog = await kubectl(env, ['logs', 'web-1']);
    assert.equal(podLog.code, 0, podLog.stderr);
    assert.match(podLog.stdout, /log line of web-1/);
    const describe = await kubectl(env, ['describe', 'pod', 'web-1']);
    assert.equal(describe.code, 0, describe.stderr);
    assert.match(describe.stdout, /Name:\s+web-1/);
    const watch = await kubectl(env, ['get', 'pods', '--watch', '-o', 'name']);
    assert.equal(watch.code, 0, watch.stderr);
    assert.ok(
      k.seen.some((s) => s.url.includes('watch=true')),
      'the watch reached the server',
    );

    const del = await kubectl(env, ['delete', 'pod', 'web-1']);
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /cluster prod-eu is read-only for agents/);
    const dry = await kubectl(env, ['run', 'x', '--image=busybox', '--dry-run=server']);
    assert.notEqual(dry.code, 0);
    assert.match(dry.stderr, /read-only for agents/);
    const exec = await kubectl(env, ['exec', 'web-1', '--', 'ls']);
    assert.notEqual(exec.code, 0, 'exec is refused');
    assert.match(exec.stderr, /cluster prod-eu is read-only for agents/);
    const forward = await kubectl(env, ['port-forward', 'pod/web-1', '0:80']);
    assert.notEqual(forward.code, 0, 'port-forward is refused');
    assert.match(forward.stderr, /read-only for agents/);
    assert.ok(
      !k.seen.some((s) => s.method !== 'GET'),
      `the stand-in saw only reads: ${JSON.stringify(k.seen)}`,
    );
    assert.ok(
      !k.seen.some((s) => /\/(exec|portforward)/.test(s.url)),
      'exec and port-forward never reached the server',
    );

    const decided = d.events.filter((e) => e.type === 'request.decided' && e.sandboxId === sandboxId);
    const deletes = decided.filter((e) => e.type === 'request.decided' && e.method === 'DELETE');
    assert.ok(
      deletes.length > 0 && deletes.every((e) => e.type === 'request.decided' && e.outcome === 'denied'),
    );
    assert.ok(
      decided.some((e) => e.type === 'request.decided' && e.method === 'GET' && e.outcome === 'allowed'),
      'reads are audited too',
    );
    const logs = d.logs.join('\n');
    for (const s of secrets) assert.ok(!logs.includes(s.trim()), "the daemon's log holds no credential");

    // Not read-only any more: the listener, the vault's copy and the derived kubeconfig go.
    const off = (await ext.invoke(WARDEN_IPC.setTerminals, { mode: 'off', clusters: [] })) as TerminalsResult;
    assert.equal(off.ok, true);
    assert.deepEqual(await d.client.call('GET /v1/secrets'), []);
    assert.throws(() => statSync(derived));
  });
}
