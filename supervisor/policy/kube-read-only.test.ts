// The kube-read-only preset from the contract, parsed as the daemon parses a preset layer
// and decided by the real policy engine: reads of the API server are allowed, every write,
// every WebSocket upgrade (exec, attach, port-forward) and plain HTTP are denied with a
// reason naming the cluster; a cluster whose credential is refused is denied outright.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubeReadOnlyPolicy } from '../api/kube-read-only.ts';
import type { RequestFacts } from '../api/policy-types.ts';
import { parsePolicy } from './parse.ts';
import { Policy } from './policy.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

function preset(): Policy {
  const doc = kubeReadOnlyPolicy([
    {
      name: 'prod-eu',
      host: 'kube.prod.test',
      port: 6443,
      ca: CA,
      clientCertificate: 'prod-cert',
      addresses: ['10.1.2.3'],
    },
    { name: 'eks', host: '10.9.9.9', port: 443, refused: 'its credential comes from an exec plugin (aws)' },
  ]);
  const r = parsePolicy(JSON.stringify(doc), 'preset kube-read-only');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return Policy.resolve([{ layer: 'preset', source: 'preset kube-read-only', document: r.document }]);
}

const facts = (
  method: string,
  scheme: RequestFacts['scheme'] = 'https',
  host = 'kube.prod.test',
  port = 6443,
) => ({
  scheme,
  host,
  port,
  method,
  path: '/api/v1/namespaces/default/pods',
});

test('reads are allowed; writes, dry runs and upgrades are denied naming the cluster', () => {
  const p = preset();
  for (const m of ['GET', 'HEAD', 'OPTIONS']) assert.equal(p.decideRequest(facts(m)).action, 'allow', m);
  for (const m of ['POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'PROPFIND']) {
    const d = p.decideRequest(facts(m));
    assert.equal(d.action, 'deny', m);
    assert.match(d.reason, /^cluster prod-eu is read-only for agents/);
  }
  assert.equal(p.decideRequest(facts('GET', 'wss')).action, 'deny', 'exec over WebSocket');
  assert.equal(p.decideRequest(facts('GET', 'http')).action, 'deny', 'plain HTTP');
  assert.equal(p.decideRequest(facts('GET', 'https', 'kube.prod.test', 6444)).action, 'ask', 'another port');
});

test("the server's address is named for reads only, and its CA and certificate are the upstream's", () => {
  const p = preset();
  const read = p.checkAddress('10.1.2.3', facts('GET'));
  assert.ok(!('needsRequest' in read));
  assert.equal(read.action, 'allow');
  assert.equal(p.upstreamFor('kube.prod.test', 6443)?.clientCertificate, 'prod-cert');
  assert.equal(p.upstreamFor('10.9.9.9', 443), undefined, 'a refused cluster has no upstream entry');
});

test('a cluster whose credential is refused is denied outright, saying why', () => {
  const d = preset().decideRequest(facts('GET', 'https', '10.9.9.9', 443));
  assert.equal(d.action, 'deny');
  assert.match(
    d.reason,
    /cluster eks is read-only for agents, and Warden cannot hold its credential \(.*exec plugin/,
  );
  const c = preset().decideConnect('10.9.9.9', 443);
  assert.ok(!('needsRequest' in c) && c.action === 'deny', 'denied at CONNECT already');
});
