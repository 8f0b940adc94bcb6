// Cluster-aware approvals, the parts without a page: a Kubernetes API request in words, the
// API server found in a kubeconfig (and nothing else of it), and what the renderer may send.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { clusterSentence, kubeRequest } from '../../extension/src/common/kube-request.ts';
import { catalogClustersProblem, clusterRefs, serverOf } from '../../extension/src/main/clusters.ts';
import { tempDir } from '../support/temp-dir.ts';

test('a Kubernetes API request in words', () => {
  assert.equal(
    clusterSentence('DELETE', '/api/v1/namespaces/web/pods/api-7', 'prod'),
    'DELETE pods api-7 in prod (namespace web)',
  );
  assert.equal(
    clusterSentence('GET', '/api/v1/namespaces/web/pods', 'prod'),
    'LIST pods in prod (namespace web)',
  );
  assert.equal(
    clusterSentence('POST', '/apis/apps/v1/namespaces/x/deployments', 'prod'),
    'CREATE deployments in prod (namespace x)',
  );
  assert.equal(clusterSentence('GET', '/api/v1/nodes/n1', 'prod'), 'GET nodes n1 in prod');
  assert.equal(
    clusterSentence('GET', '/api/v1/namespaces/web/pods/api-7/log', 'prod'),
    'GET pods/log api-7 in prod (namespace web)',
  );
  assert.equal(clusterSentence('GET', '/healthz', 'prod'), 'GET /healthz on prod');
  assert.equal(kubeRequest('GET', '/apis'), undefined);
});

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster:
    server: https://API.Example.com:6443
    certificate-authority-data: Q0E=
- name: b
  cluster:
    server: https://[::1]
contexts:
- name: ctx-a
  context: { cluster: a, user: u }
- name: ctx-b
  context: { cluster: b, user: u }
users:
- name: u
  user: { token: secret-token-xyz }
`;

test('the API server of a context, and nothing else of the kubeconfig', async (t) => {
  assert.deepEqual(serverOf(KUBECONFIG, 'ctx-a'), { host: 'api.example.com', port: 6443 });
  assert.deepEqual(serverOf(KUBECONFIG, 'ctx-b'), { host: '::1', port: 443 });
  assert.equal(serverOf(KUBECONFIG, 'nope'), undefined);
  assert.equal(serverOf('{{{ not yaml', 'ctx-a'), undefined);
  assert.equal(
    serverOf(
      'clusters: [{name: a, cluster: {server: "file:///etc/passwd"}}]\ncontexts: [{name: c, context: {cluster: a}}]',
      'c',
    ),
    undefined,
  );
  const dir = tempDir(t, 'warden-kube-');
  const file = path.join(dir, 'config');
  writeFileSync(file, KUBECONFIG);
  const refs = await clusterRefs([
    { name: 'prod', kubeconfigPath: file, kubeconfigContext: 'ctx-a' },
    { name: 'gone', kubeconfigPath: path.join(dir, 'missing'), kubeconfigContext: 'ctx-a' },
  ]);
  assert.deepEqual(refs, [{ name: 'prod', host: 'api.example.com', port: 6443 }]);
  assert.ok(!JSON.stringify(refs).includes('secret-token'));
});

test('what the renderer sends as the catalog is bounded and checked', () => {
  const ok = { name: 'p', kubeconfigPath: '/k', kubeconfigContext: 'c' };
  assert.equal(catalogClustersProblem([ok]), undefined);
  for (const bad of [
    null,
    'x',
    [null],
    [{ ...ok, kubeconfigPath: 'relative/k' }],
    [{ ...ok, name: '' }],
    [{ ...ok, kubeconfigContext: 7 }],
    [{ ...ok, kubeconfigPath: '/k\0' }],
    [{ ...ok, name: 'x'.repeat(5000) }],
    Array.from({ length: 201 }, () => ok),
  ])
    assert.ok(catalogClustersProblem(bad), `refused: ${JSON.stringify(bad)?.slice(0, 60)}`);
});
