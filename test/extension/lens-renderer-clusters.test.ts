// The Lens renderer in Chromium (test/support/lens-renderer-suite.ts) with the host's catalog
// clusters: a held request to a cluster's API server is named by the cluster (and nothing of
// its kubeconfig but the server is shown), and a cluster ticked read-only for agents shows
// ready, or refused with the reason. Screenshots in test-artifacts/.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { screenshot } from '../e2e/support.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, until } from '../support/daemon.ts';
import { startKubeApiServer } from '../support/kube-apiserver.ts';
import { lensRendererSuite, rendererSkip } from '../support/lens-renderer-suite.ts';
import { tempDir } from '../support/temp-dir.ts';

const ASK = policyYaml('- match: 127.0.0.1\n  action: ask');

describe('the renderer in Chromium: catalog clusters', { skip: rendererSkip() }, () => {
  const suite = lensRendererSuite();

  for (const flavor of ['freelens2', 'legacy'] as const) {
    test(`${flavor}: a held request to a catalog cluster's API server names the cluster`, async (t) => {
      const d = await startTestDaemon({ label: 'lens-ui' });
      t.after(() => d.stop());
      const kube = tempDir(t, 'warden-kube-');
      const kubeconfig = path.join(kube, 'config');
      writeFileSync(
        kubeconfig,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters:',
          `- name: eu\n  cluster:\n    server: http://127.0.0.1:${suite.up().httpPort}`,
          'contexts:',
          '- name: prod-eu-ctx\n  context:\n    cluster: eu\n    user: admin',
          'users:',
          '- name: admin\n  user:\n    token: kube-secret-token-0123456789',
          '',
        ].join('\n'),
      );
      const { lp, page } = await suite.open(t, flavor, d.home);
      await page.locator('.warden-status[data-warden-status="connected"]').waitFor({ timeout: 15_000 });
      await page.evaluate(
        ([file]) =>
          (window as unknown as { lensHost: { setCatalog(items: unknown[]): void } }).lensHost.setCatalog([
            {
              apiVersion: 'entity.k8slens.dev/v1alpha1',
              kind: 'KubernetesCluster',
              metadata: { uid: 'c1', name: 'prod-eu' },
              spec: { kubeconfigPath: file, kubeconfigContext: 'prod-eu-ctx' },
            },
          ]),
        [kubeconfig] as const,
      );
      const { env } = await d.listener(ASK);
      const held = curl(env, [
        '-X',
        'DELETE',
        `http://127.0.0.1:${suite.up().httpPort}/api/v1/namespaces/web/pods/api-7`,
      ]);
      await page.locator('.warden-status').click();
      const named = page.locator('[data-approval] [data-cluster="prod-eu"]');
      await named.waitFor({ timeout: 10_000 });
      assert.equal(await named.textContent(), 'DELETE pods api-7 in prod-eu (namespace web)');
      assert.ok(
        !(await page.content()).includes('kube-secret-token'),
        'nothing of the kubeconfig but the server',
      );
      await screenshot(page, `lens-${flavor}-cluster-card`);
      await page
        .locator('[data-approval]')
        .getByRole('button', { name: /Deny once/ })
        .click();
      assert.notEqual((await held).status, 200);
      assert.deepEqual(lp.errors, []);
    });

    test(`${flavor}: a cluster ticked read-only for agents shows ready, or refused with the reason`, async (t) => {
      const d = await startTestDaemon({ label: 'lens-ui' });
      t.after(() => d.stop());
      const kube = await startKubeApiServer({ auth: 'token' });
      t.after(() => kube.close());
      const dir = tempDir(t, 'warden-kube-ro-');
      const good = path.join(dir, 'good');
      await kube.kubeconfig(good, 'prod-eu', { token: kube.token });
      const plain = path.join(dir, 'plain');
      writeFileSync(
        plain,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: dev\n  cluster:\n    server: http://127.0.0.1:${suite.up().httpPort}\n` +
          'contexts:\n- name: dev\n  context:\n    cluster: dev\n    user: dev\nusers:\n- name: dev\n  user: {}\n',
      );
      const { lp, page } = await suite.open(t, flavor, d.home);
      await page.locator('.warden-status[data-warden-status="connected"]').waitFor({ timeout: 15_000 });
      await page.evaluate(
        ([a, b]) =>
          (window as unknown as { lensHost: { setCatalog(items: unknown[]): void } }).lensHost.setCatalog(
            [
              ['prod-eu', a],
              ['dev', b],
            ].map(([name, file]) => ({
              apiVersion: 'entity.k8slens.dev/v1alpha1',
              kind: 'KubernetesCluster',
              metadata: { uid: `uid-${name}`, name },
              spec: { kubeconfigPath: file, kubeconfigContext: name },
            })),
          ),
        [good, plain] as const,
      );
      await page.getByLabel('prod-eu read-only for agents').click({ timeout: 10_000 });
      await page.locator('[data-warden-read-only-state="ready"]').waitFor({ timeout: 15_000 });
      await page.getByLabel('dev read-only for agents').click();
      const refused = page.locator('[data-warden-read-only-state="refused"]');
      await refused.waitFor({ timeout: 15_000 });
      assert.match(
        (await refused.textContent()) ?? '',
        /refused: the server http:\/\/127\.0\.0\.1:\d+ is not HTTPS/,
      );
      assert.ok(!(await page.content()).includes(kube.token), 'the token is not on the page');
      await screenshot(page, `lens-${flavor}-read-only`);
      await page.getByLabel('prod-eu read-only for agents').click();
      await page
        .locator('[data-warden-read-only-state="ready"]')
        .waitFor({ state: 'detached', timeout: 15_000 });
      await page.getByLabel('dev read-only for agents').click();
      await until(
        'the vault to be emptied',
        async () => (await d.client.call('GET /v1/secrets')).length === 0,
        10_000,
      );
      assert.deepEqual(lp.errors, []);
    });
  }
});
