// spec.network.upstreams: what a match may be, the errors a policy file gets for a bad
// entry (with its field path), and which entry the proxy uses for a host and port.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePolicy } from './parse.ts';
import { Policy } from './policy.ts';
import { parseUpstreamMatch } from './upstreams.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

function doc(upstreams: unknown[]): string {
  return JSON.stringify({
    apiVersion: 'warden.dev/v1',
    kind: 'Policy',
    metadata: { name: 'u' },
    spec: { network: { upstreams } },
  });
}

test('an upstream is one host or address and one port', () => {
  assert.deepEqual(parseUpstreamMatch('10.0.0.1:6443'), { host: '10.0.0.1', port: 6443 });
  assert.deepEqual(parseUpstreamMatch('Kube.Example.COM:443'), { host: 'kube.example.com', port: 443 });
  assert.deepEqual(parseUpstreamMatch('[::1]:6443'), { host: '::1', port: 6443 });
  for (const bad of [
    'kube.example.com',
    '*.example.com:443',
    'https://k.test:443',
    '10.0.0.0/8:443',
    'k.test:1-9',
  ])
    assert.ok('error' in parseUpstreamMatch(bad), bad);
});

test('a bad entry is an error at its field, and a CA without a certificate is one too', () => {
  const r = parsePolicy(
    doc([
      { match: '*.example.com:443', ca: CA },
      { match: 'k.test:443', ca: 'not a certificate' },
      { match: 'k.test:443', ca: CA, clientCertificate: 'has space' },
      { match: 'k.test:443', ca: CA, extra: true },
    ]),
    'u.yaml',
  );
  assert.equal(r.ok, false);
  const paths = r.ok ? [] : r.errors.map((e) => e.path);
  assert.ok(paths.includes('spec.network.upstreams[0].match'), JSON.stringify(paths));
  assert.ok(paths.includes('spec.network.upstreams[1].ca'), JSON.stringify(paths));
  assert.ok(
    paths.some((p) => p.startsWith('spec.network.upstreams[2]')),
    JSON.stringify(paths),
  );
  assert.ok(
    paths.some((p) => p.startsWith('spec.network.upstreams[3]')),
    JSON.stringify(paths),
  );
});

test('the most specific layer names the upstream; host case and port must match exactly', () => {
  const parse = (text: string) => {
    const r = parsePolicy(text, 'x');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.document;
  };
  const preset = parse(doc([{ match: 'k.test:6443', ca: CA, clientCertificate: 'from-preset' }]));
  const project = parse(doc([{ match: 'K.TEST:6443', ca: CA, clientCertificate: 'from-project' }]));
  const p = Policy.resolve([
    { layer: 'preset', source: 'preset', document: preset },
    { layer: 'project', source: 'project', document: project },
  ]);
  assert.equal(p.upstreamFor('k.test', 6443)?.clientCertificate, 'from-project');
  assert.equal(p.upstreamFor('K.Test', 6443)?.layer, 'project');
  assert.equal(p.upstreamFor('k.test', 443), undefined);
  assert.equal(p.upstreamFor('x.k.test', 6443), undefined);
  assert.equal(p.upstreamFor('not a host', 6443), undefined);
});
