import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trustFinding } from './doctor-command.ts';

test('doctor names each upstream trust store with its certificate count, and the ones not used', () => {
  const ok = trustFinding([
    { source: 'node', certificates: 144 },
    { source: 'system', path: '/etc/ssl/certs/ca-certificates.crt', certificates: 146 },
  ]);
  assert.equal(ok.status, 'ok');
  assert.match(
    ok.found,
    /the daemon trusts: Node's bundled roots \(144 certificates\); system \/etc\/ssl\/certs\/ca-certificates\.crt \(146 certificates\)/,
  );
  const warn = trustFinding([
    { source: 'node', certificates: 144 },
    { source: 'NODE_EXTRA_CA_CERTS', path: '/gone.pem', certificates: 0, problem: 'cannot be read (ENOENT)' },
  ]);
  assert.equal(warn.status, 'warn');
  assert.match(warn.found, /not used: NODE_EXTRA_CA_CERTS \/gone\.pem: cannot be read \(ENOENT\)/);
  assert.match(warn.fix ?? '', /WARDEN_UPSTREAM_CA/);
});
