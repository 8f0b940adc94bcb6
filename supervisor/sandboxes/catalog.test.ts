// The catalog shows every sandbox as one resource: VMs from the VM manager (here a fake),
// host listeners from their Sandbox, oldest first; a VM's listener without its machine
// (being made or removed) is not a host sandbox.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WardenError } from '../api/errors.ts';
import type { SandboxKind, VmSandboxView } from '../api/index.ts';
import { SandboxCatalog } from './catalog.ts';
import { Sandbox } from './sandbox.ts';

function sandbox(sandboxId: string, kind: SandboxKind, createdAt: string, port: number): Sandbox {
  const s = new Sandbox(
    { sandboxId, label: sandboxId, user: 'ann', kind, secrets: ['GH'], placeholders: { GH: 'wdn_ph_1' } },
    () => undefined,
  );
  Object.defineProperty(s, 'createdAt', { value: createdAt });
  s.port = port;
  return s;
}

const vmView = (sandboxId: string, createdAt: string): VmSandboxView => ({
  kind: 'vm',
  sandboxId,
  label: sandboxId,
  user: 'ann',
  createdAt,
  state: 'RUNNING',
  image: { id: 'img', name: 'minimal' },
  cpus: 1,
  memoryMiB: 512,
  diskMiB: 0,
  agents: [],
  fromPool: true,
  proxyPort: 4000,
  placeholders: {},
});

function catalog() {
  const sandboxes = [
    sandbox('host-b', 'host', '2026-01-01T00:00:03.000Z', 3000),
    sandbox('vm-a', 'vm', '2026-01-01T00:00:01.000Z', 4000),
    sandbox('host-a', 'host', '2026-01-01T00:00:02.000Z', 2000),
    // A VM's listener whose machine is not (or no longer) tracked.
    sandbox('vm-going', 'vm', '2026-01-01T00:00:00.000Z', 5000),
  ];
  const vms = [vmView('vm-a', '2026-01-01T00:00:01.000Z')];
  return new SandboxCatalog({
    sandboxes: { list: () => sandboxes },
    vms: {
      list: () => vms,
      has: (id) => vms.some((v) => v.sandboxId === id),
      view: (id) => vms.find((v) => v.sandboxId === id)!,
    },
    listenHost: '127.0.0.1',
  });
}

test('every sandbox, of both kinds, oldest first; a VM comes from its manager', () => {
  const c = catalog();
  assert.deepEqual(
    c.list().map((s) => `${s.kind} ${s.sandboxId}`),
    ['vm vm-a', 'host host-a', 'host host-b'],
  );
  const host = c.view('host-a');
  assert.deepEqual(host, {
    kind: 'host',
    sandboxId: 'host-a',
    label: 'host-a',
    user: 'ann',
    host: '127.0.0.1',
    port: 2000,
    proxyUrl: 'http://127.0.0.1:2000',
    clientProxyUrl: host.kind === 'host' ? host.clientProxyUrl : '',
    createdAt: '2026-01-01T00:00:02.000Z',
    placeholders: { GH: 'wdn_ph_1' },
  });
  assert.match(host.kind === 'host' ? host.clientProxyUrl : '', /^http:\/\/warden:[^@]+@127\.0\.0\.1:2000$/);
  assert.equal(c.view('vm-a').kind, 'vm');
  assert.equal(c.kindOf('vm-a'), 'vm');
  assert.equal(c.kindOf('host-b'), 'host');
});

test('an unknown id, or a VM listener without its machine, is not found (with what to do)', () => {
  const c = catalog();
  for (const id of ['nope', 'vm-going']) {
    assert.throws(
      () => c.view(id),
      (e: WardenError) => e.name === 'SandboxNotFound' && e.hint === 'list them with: warden ps',
    );
  }
});

test('the deprecated listener views list every listener, each with its kind', () => {
  assert.deepEqual(
    catalog()
      .listeners()
      .map((l) => `${l.kind} ${l.sandboxId} ${l.port}`),
    ['host host-b 3000', 'vm vm-a 4000', 'host host-a 2000', 'vm vm-going 5000'],
  );
});
