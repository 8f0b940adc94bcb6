// Read-only clusters from the attacker's side, with the real kubectl and a real daemon: a
// kubeconfig whose credential comes from an exec plugin is refused (the pane and the
// terminal say so, kubectl reaches nothing, the preset still denies the server); a
// kubeconfig whose CA is not the server's makes the proxy refuse the upstream (nothing
// reaches it); the token's placeholder sent to another port of the same host is not swapped
// there; a read-only cluster's terminal cannot write through plain curl either.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildPackages } from '../../extension/build.mjs';
import type { Snapshot, TerminalsResult } from '../../extension/src/common/ipc.ts';
import { WARDEN_IPC } from '../../extension/src/common/ipc.ts';
import { curl } from '../support/curl.ts';
import { startTestDaemon, until } from '../support/daemon.ts';
import { loadFreelensExtension } from '../support/freelens-host.ts';
import { kubectl, requireKubectl, startKubeApiServer } from '../support/kube-apiserver.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { startUpstreams } from '../support/upstreams.ts';

const built = makeTempDir('warden-lens-kube-hostile-');
before(async () => {
  requireKubectl();
  await buildPackages({ dist: built.dir });
});
after(() => built.dispose());

test('exec plugins are refused, a wrong cluster CA is refused upstream, other ports get no token', async (t) => {
  const work = makeTempDir('warden-kube-hostile-');
  t.after(() => work.dispose());
  const good = await startKubeApiServer({ auth: 'token' });
  const execd = await startKubeApiServer({ auth: 'token' });
  const wrongCa = await startKubeApiServer({ auth: 'token' });
  const up = await startUpstreams();
  t.after(async () => {
    await Promise.all([good.close(), execd.close(), wrongCa.close(), up.close()]);
  });
  const file = (name: string) => path.join(work.dir, name);
  await good.kubeconfig(file('good'), 'prod-eu', { token: good.token });
  await execd.kubeconfig(file('exec'), 'eks-prod', {
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: '/usr/local/bin/aws',
      args: ['eks'],
    },
  });
  // The server's certificate is signed by its own CA; the kubeconfig names another one.
  await wrongCa.kubeconfig(file('wrong'), 'staging', { token: wrongCa.token }, good.caPem);

  const d = await startTestDaemon({ label: 'kube-hostile' });
  t.after(() => d.stop());
  process.env.WARDEN_HOME = d.home;
  const ext = await loadFreelensExtension(path.join(built.dir, 'freelens'), { host: 'freelens2' });
  t.after(() => ext.deactivate());
  const snapshot = async () => (await ext.invoke(WARDEN_IPC.snapshot)) as Snapshot;
  await until('connected', async () => (await snapshot()).connection.kind === 'connected', 15_000);
  await ext.invoke(WARDEN_IPC.setClusters, [
    { name: 'prod-eu', kubeconfigPath: file('good'), kubeconfigContext: 'prod-eu' },
    { name: 'eks-prod', kubeconfigPath: file('exec'), kubeconfigContext: 'eks-prod' },
    { name: 'staging', kubeconfigPath: file('wrong'), kubeconfigContext: 'staging' },
  ]);
  for (const readOnly of [
    'prod-eu',
    [''],
    [42],
    Array.from({ length: 101 }, (_, i) => `c${i}`),
    ['x'.repeat(201)],
  ]) {
    const bad = (await ext.invoke(WARDEN_IPC.setTerminals, {
      mode: 'off',
      clusters: [],
      readOnly,
    })) as TerminalsResult;
    assert.equal(bad.ok, false, JSON.stringify(readOnly).slice(0, 40));
  }
  const set = (await ext.invoke(WARDEN_IPC.setTerminals, {
    mode: 'off',
    clusters: [],
    readOnly: ['prod-eu', 'eks-prod', 'staging', 'not-in-catalog'],
  })) as TerminalsResult;
  assert.equal(set.ok, true);
  const views = set.ok ? (set.terminals.readOnly ?? []) : [];
  const byName = Object.fromEntries(views.map((v) => [v.cluster, v]));
  assert.equal(byName['prod-eu']?.state, 'ready');
  assert.equal(byName.staging?.state, 'ready', 'a wrong CA is only found when the server answers');
  assert.equal(byName['eks-prod']?.state, 'refused');
  assert.match(byName['eks-prod']?.problem ?? '', /exec plugin \(aws\)/);
  assert.equal(byName['not-in-catalog']?.state, 'refused');
  const secrets = (await d.client.call('GET /v1/secrets')).map((s) => s.name);
  assert.equal(secrets.length, 2, 'only the usable credentials went into the vault');

  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work.dir };

  // Exec plugin: the terminal says why, kubectl gets no cluster (and never runs the plugin).
  const eks = ext.terminalEnv('eks-prod', base) as Record<string, string>;
  assert.match(eks.WARDEN_TERMINAL ?? '', /eks-prod is read-only for agents, but .*exec plugin/);
  assert.doesNotMatch(readFileSync(eks.KUBECONFIG!, 'utf8'), /server:|aws/);
  const eksGet = await kubectl(eks, ['get', 'pods']);
  assert.notEqual(eksGet.code, 0);
  // Even a request made by hand to that server is denied by the preset, naming the cluster.
  const byHand = await curl(eks, [`https://127.0.0.1:${execd.port}/api`]);
  assert.equal(byHand.status, 403);
  assert.match(
    byHand.body,
    /cluster eks-prod is read-only for agents, and Warden cannot hold its credential/,
  );
  assert.deepEqual(execd.seen, [], 'the exec-plugin cluster saw nothing');

  // Wrong CA: the proxy checks the server against the kubeconfig's CA and refuses it.
  const staging = ext.terminalEnv('staging', base) as Record<string, string>;
  const stagingGet = await kubectl(staging, ['get', 'pods']);
  assert.notEqual(stagingGet.code, 0);
  assert.match(stagingGet.stderr, /not signed by the CA the policy names/);
  assert.deepEqual(wrongCa.seen, [], 'no request reached a server the cluster CA does not vouch for');
  const refused = await until(
    'the refusal to be audited',
    () =>
      d.events.find(
        (e) =>
          (e.type === 'request.ended' || e.type === 'request.decided') &&
          e.port === wrongCa.port &&
          /not signed by the CA the policy names/.test(e.reason),
      ),
    10_000,
  );
  assert.ok(refused);

  // The token's placeholder sent to another port of the API server's host is not swapped.
  const prod = ext.terminalEnv('prod-eu', base) as Record<string, string>;
  const placeholder = /token: (wdn_ph_[0-9a-z]+)/.exec(readFileSync(prod.KUBECONFIG!, 'utf8'))?.[1];
  assert.ok(placeholder);
  const otherPort = await curl(prod, [
    '-H',
    `Authorization: Bearer ${placeholder}`,
    `https://127.0.0.1:${up.httpsPort}/elsewhere`,
  ]);
  assert.notEqual(otherPort.status, 200);
  assert.ok(
    !up.received.some((r) => JSON.stringify(r.headers).includes(good.token)),
    'the real token never left for another port',
  );
  // And plain curl in the read-only terminal cannot write either.
  const write = await curl(prod, [
    '-X',
    'DELETE',
    '-H',
    `Authorization: Bearer ${placeholder}`,
    `https://127.0.0.1:${good.port}/api/v1/namespaces/default/pods/web-1`,
  ]);
  assert.equal(write.status, 403);
  assert.match(write.body, /cluster prod-eu is read-only for agents/);
  assert.ok(!good.seen.some((s) => s.method === 'DELETE'));
});
