// The VM sandbox manager on the fake VM driver (no QEMU): a real daemon in this process,
// real proxy listeners, VMs that boot at once or hang or fail as each test scripts.

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { curl } from '../../test/support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../../test/support/daemon.ts';
import { FakeVmDriver, fakeImage } from '../../test/support/fake-vm-driver.ts';
import type { SandboxStateEvent, WardenEvent } from '../api/index.ts';

async function fakeVmDaemon(driver: FakeVmDriver, poolSize = 0): Promise<TestDaemon> {
  const d = await startTestDaemon({ daemon: { vmDriver: driver, poolSize } });
  fakeImage(d.daemon.images.dir);
  return d;
}

function states(events: WardenEvent[], sandboxId: string): string[] {
  return events
    .filter((e): e is SandboxStateEvent => e.type === 'sandbox.state' && e.sandboxId === sandboxId)
    .map((e) => `${e.previous}>${e.state}`);
}

/** Resolves true when something accepts a connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(2000, () => s.destroy());
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('close', () => resolve(false));
  });
}

test('a pooled VM is handed over: RUNNING at once, its listener now the sandbox’s, placeholders in its commands', async () => {
  const driver = new FakeVmDriver();
  const d = await fakeVmDaemon(driver, 1);
  try {
    await d.client.call('PUT /v1/secrets/:name', {
      params: { name: 'api_token' },
      body: { value: 'tok-real-value-7f3a', hosts: ['api.test'], inject: 'bearer' },
    });
    d.daemon.vms.pool.fill();
    await until('a pooled VM', () => d.daemon.vms.status().pool.ready === 1);
    const pooled = driver.vms[0]!;
    assert.match(pooled.id, /^pool-/);
    assert.deepEqual(pooled.spec.env, {}, 'a pool VM boots with no sandbox’s environment');
    assert.ok(pooled.execs.length > 0, 'the pool warmed the guest up before any hand-over');

    const view = await d.daemon.vms.create(
      {
        label: 'agent',
        secrets: ['api_token'],
        policy: { yaml: policyYaml('- match: other.test\n  action: allow'), source: 'p.yaml' },
      },
      'tester',
    );
    assert.equal(view.fromPool, true);
    assert.equal(view.state, 'RUNNING');
    assert.equal(view.proxyPort, pooled.spec.proxyPort, 'the sandbox is the listener its VM already uses');
    assert.equal(driver.vms.length, 1, 'no boot for this sandbox');
    assert.equal(d.daemon.vms.status().pool.ready, 0);
    assert.deepEqual(states(d.events, view.sandboxId), ['STOPPED>RUNNING']);

    const proc = d.daemon.vms.exec(view.sandboxId, { argv: ['env'] });
    await proc.exited;
    const env = pooled.execs.at(-1)!.options.env ?? {};
    assert.equal(env.WARDEN_SANDBOX, view.sandboxId);
    assert.equal(env.api_token, view.placeholders.api_token);
    assert.ok(!JSON.stringify(env).includes('tok-real-value-7f3a'), 'the guest sees a placeholder only');

    // The listener speaks for the new sandbox now, with the credential its commands are given:
    // its traffic is decided by the sandbox's policy (deny by default here) and recorded under its id.
    // (The guest reaches it at the guestfwd address; the host at 127.0.0.1.)
    const proxy = new URL(env.HTTP_PROXY ?? '');
    proxy.host = `127.0.0.1:${view.proxyPort}`;
    const r = await curl({}, ['-x', proxy.href, 'http://api.test/x']);
    assert.equal(r.status, 403);
    const decided = await until('the request is recorded', () =>
      d.events.find((e) => e.type === 'request.decided' && e.host === 'api.test'),
    );
    assert.equal((decided as { sandboxId: string }).sandboxId, view.sandboxId);
  } finally {
    await d.stop();
  }
  assert.deepEqual(driver.live(), [], 'every VM stopped with the daemon');
});

test('a pooled VM that died is not handed over; a sandbox with its own resources boots its own', async () => {
  const driver = new FakeVmDriver();
  const d = await fakeVmDaemon(driver, 1);
  try {
    d.daemon.vms.pool.fill();
    await until('a pooled VM', () => d.daemon.vms.status().pool.ready === 1);
    const big = await d.daemon.vms.create({ label: 'big', cpus: 2 }, 'tester');
    assert.equal(big.fromPool, false);
    assert.equal(d.daemon.vms.status().pool.ready, 1, 'the pooled VM waits for a sandbox it fits');

    driver.vms[0]!.crash();
    await until('the dead VM is stopped', () => driver.vms[0]!.state === 'STOPPED');
    const next = await d.daemon.vms.create({ label: 'next' }, 'tester');
    assert.equal(next.fromPool, false);
    assert.equal(driver.vm(next.sandboxId)?.state, 'RUNNING');
  } finally {
    await d.stop();
  }
  assert.deepEqual(driver.live(), []);
});

test('a sandbox removed while its VM boots is cleaned up: VM stopped, listener closed, nothing listed', async () => {
  const driver = new FakeVmDriver({ boot: () => 'hang' });
  const d = await fakeVmDaemon(driver);
  try {
    const creating = d.daemon.vms.create({ label: 'slow' }, 'tester');
    const vm = await until('the VM is booting', () => driver.vms.find((v) => v.bootHanging));
    const [listed] = d.daemon.vms.list();
    assert.equal(listed?.state, 'STARTING');
    assert.equal(await accepts(vm.spec.proxyPort), true);

    await d.daemon.vms.remove(vm.id);
    await assert.rejects(
      creating,
      (e: Error) => e.name === 'SandboxBootFailed' && /stopped during boot/.test(e.message),
    );
    assert.equal(vm.state, 'STOPPED');
    assert.deepEqual(d.daemon.vms.list(), []);
    assert.deepEqual(d.daemon.sandboxes.list(), []);
    assert.equal(await accepts(vm.spec.proxyPort), false, 'the listener is closed');
    assert.deepEqual(states(d.events, vm.id), ['STOPPED>STARTING', 'STARTING>STOPPING', 'STOPPING>STOPPED']);
  } finally {
    await d.stop();
  }
});

test('a cold boot is long work: listed with its phase, cancelled over the API, nothing left', async () => {
  const driver = new FakeVmDriver({ boot: () => 'hang' });
  const d = await fakeVmDaemon(driver);
  try {
    const creating = d.client.call('POST /v1/sandboxes', { body: { label: 'cold' } });
    creating.catch(() => {});
    const vm = await until('the VM is booting', () => driver.vms.find((v) => v.bootHanging));
    const task = await until('the boot is a task', async () =>
      (await d.client.call('GET /v1/tasks')).find((t) => t.kind === 'vm.boot' && t.state === 'running'),
    );
    assert.equal(task.sandboxId, vm.id);
    assert.equal(task.title, `Starting sandbox ${vm.id}`);
    assert.equal(task.step, 'booting the guest (fake)');
    assert.equal(task.user, 'tester');
    await d.client.call('POST /v1/tasks/:taskId/cancel', { params: { taskId: task.id } });
    await assert.rejects(creating, (e: Error & { details?: { name: string } }) => {
      assert.equal(e.details?.name, 'Cancelled');
      assert.match(e.message, new RegExp(`Starting sandbox ${vm.id}: cancelled by a user`));
      return true;
    });
    assert.equal(vm.state, 'STOPPED');
    assert.deepEqual(d.daemon.vms.list(), []);
    assert.deepEqual(d.daemon.sandboxes.list(), []);
    const [ended] = (await d.client.call('GET /v1/tasks')).filter((t) => t.id === task.id);
    assert.equal(ended?.state, 'cancelled');
  } finally {
    await d.stop();
  }
});

test('a boot that fails leaves nothing behind and says what to do', async () => {
  const driver = new FakeVmDriver({ boot: () => ({ fail: 'KVM went away' }) });
  const d = await fakeVmDaemon(driver);
  try {
    await assert.rejects(
      d.daemon.vms.create({ label: 'broken' }, 'tester'),
      (e: Error & { hint?: string }) =>
        e.name === 'SandboxBootFailed' &&
        /KVM went away/.test(e.message) &&
        /warden doctor/.test(e.hint ?? ''),
    );
    const vm = driver.vms[0]!;
    assert.equal(vm.state, 'STOPPED');
    assert.deepEqual(d.daemon.sandboxes.list(), []);
    assert.equal(await accepts(vm.spec.proxyPort), false);
  } finally {
    await d.stop();
  }
});

test('stopping the daemon while VMs boot (a sandbox’s and the pool’s) stops them all, without waiting for the boots', async () => {
  const driver = new FakeVmDriver({ boot: () => 'hang' });
  const d = await fakeVmDaemon(driver, 1);
  d.daemon.vms.pool.fill();
  const creating = d.daemon.vms.create({ label: 'slow', warm: false }, 'tester');
  creating.catch(() => {});
  await until('both VMs boot', () => driver.vms.filter((v) => v.bootHanging).length === 2);
  const stopped = d.stop().then(() => 'stopped');
  const late = new Promise((r) => setTimeout(() => r('still waiting'), 3000).unref());
  const first = await Promise.race([stopped, late]);
  for (const v of driver.vms) v.failBoot('the test gave up waiting'); // lets a stuck stop end
  await stopped;
  assert.equal(first, 'stopped');
  assert.deepEqual(driver.live(), []);
  assert.deepEqual(
    driver.vms.map((v) => v.state),
    ['STOPPED', 'STOPPED'],
  );
  assert.ok(!d.logs.some((l) => /boot failed/.test(l)), 'a boot abandoned at shutdown is no failure');
});

test('a create still under way when the sandboxes stop boots no VM after the stop', async () => {
  const driver = new FakeVmDriver();
  const d = await fakeVmDaemon(driver);
  try {
    const creating = d.daemon.vms.create({ label: 'late' }, 'tester');
    creating.catch(() => {});
    await d.daemon.vms.stopAll();
    await assert.rejects(
      creating,
      (e: Error & { hint?: string }) =>
        e.name === 'SandboxBootFailed' && /daemon is stopping/.test(e.message) && Boolean(e.hint),
    );
    assert.deepEqual(driver.live(), [], 'no VM runs after stopAll');
    assert.deepEqual(d.daemon.vms.list(), []);
    assert.deepEqual(d.daemon.sandboxes.list(), [], 'its listener is closed');
  } finally {
    await d.stop();
  }
});
