// The sandbox routes on the fake VM driver (no QEMU): a command run with `remove` owns its
// sandbox, which goes when the command ends or its client goes away; a create whose client
// left during the boot does not leave an unowned sandbox.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { startTestDaemon, type TestDaemon, until } from '../../test/support/daemon.ts';
import { FakeVmDriver, fakeImage } from '../../test/support/fake-vm-driver.ts';
import type { UserActionEvent } from '../api/index.ts';
import { execInSandbox } from '../client/api-client.ts';

const driver = new FakeVmDriver();
let d: TestDaemon;
before(async () => {
  d = await startTestDaemon({ daemon: { vmDriver: driver, poolSize: 0 } });
  fakeImage(d.daemon.images.dir);
});
after(async () => {
  await d.stop();
  assert.deepEqual(driver.live(), [], 'no VM outlives the daemon');
});

async function createSandbox(label: string): Promise<string> {
  const { sandbox } = await d.client.call('POST /v1/sandboxes', { body: { label } });
  return sandbox.sandboxId;
}

function removedBy(sandboxId: string): UserActionEvent | undefined {
  return d.events.find(
    (e): e is UserActionEvent =>
      e.type === 'user.action' && e.action === 'sandbox.remove' && e.sandboxId === sandboxId,
  );
}

function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => {
      text += c.toString();
    });
    stream.on('end', () => resolve(text));
  });
}

test('a command run with remove owns its sandbox: when it exits, the sandbox and its VM go', async () => {
  driver.exec = (argv) =>
    argv[0] === 'build' ? { stdout: 'built\n', stderr: 'warn\n', code: 3 } : { code: 0 };
  const id = await createSandbox('owned');
  const session = await execInSandbox(d.client, id, { argv: ['build'], remove: true });
  const [out, err, status] = await Promise.all([
    collect(session.stdout),
    collect(session.stderr),
    session.exited,
  ]);
  assert.deepEqual([out, err, status.code], ['built\n', 'warn\n', 3]);
  await until('the sandbox is removed', () => removedBy(id));
  assert.equal(driver.vm(id)?.state, 'STOPPED');
  assert.ok(!d.daemon.vms.list().some((s) => s.sandboxId === id));
  assert.ok(!d.daemon.sandboxes.list().some((s) => s.identity.sandboxId === id), 'its listener is gone too');
});

test('a command run with remove whose client goes away is hung up, and its sandbox removed', async () => {
  driver.exec = () => 'hang';
  const id = await createSandbox('dropped');
  const session = await execInSandbox(d.client, id, { argv: ['sleep', 'inf'], remove: true });
  await session.started;
  session.detach();
  await until('the sandbox is removed', () => removedBy(id));
  const proc = driver.vm(id)!.execs.at(-1)!;
  assert.deepEqual(proc.signals, ['SIGHUP']);
  assert.equal(driver.vm(id)?.state, 'STOPPED');
});

test('without remove, a command that ends or loses its client leaves the sandbox running', async () => {
  driver.exec = () => 'hang';
  const id = await createSandbox('kept');
  const session = await execInSandbox(d.client, id, { argv: ['sh'] });
  await session.started;
  session.detach();
  const proc = driver.vm(id)!.execs.at(-1)!;
  await until('the command is hung up', () => proc.signals.includes('SIGHUP'));
  driver.exec = () => ({ code: 0 });
  const again = await execInSandbox(d.client, id, { argv: ['true'] });
  assert.equal((await again.exited).code, 0);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(removedBy(id), undefined);
  assert.equal(d.daemon.vms.view(id).state, 'RUNNING');
  await d.client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: id } });
});

test('a command in a sandbox whose VM died is refused with what to do; the sandbox stays for its logs', async () => {
  const id = await createSandbox('dead');
  driver.vm(id)!.console.push('Kernel panic - not syncing');
  driver.vm(id)!.crash('QEMU exited unexpectedly (signal SIGSEGV)');
  await assert.rejects(
    execInSandbox(d.client, id, { argv: ['true'], remove: true }),
    (e: Error & { hint?: string }) =>
      e.name === 'SandboxNotRunning' &&
      /ERROR: QEMU exited unexpectedly/.test(e.message) &&
      e.hint?.includes(`warden logs ${id}`) === true,
  );
  const logs = await d.client.call('GET /v1/sandboxes/:sandboxId/logs', { params: { sandboxId: id } });
  assert.match(logs.console, /Kernel panic/);
  await d.client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: id } });
  assert.equal(driver.vm(id)?.state, 'STOPPED');
});

test('a create whose client went away during the boot removes the sandbox it made', async () => {
  driver.boot = () => 'hang';
  try {
    const token = readFileSync(d.daemon.paths.tokenFile, 'utf8').trim();
    const req = http.request({
      socketPath: d.daemon.paths.socket,
      method: 'POST',
      path: '/v1/sandboxes',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ label: 'orphan' }));
    const vm = await until('the VM boots', () => driver.vms.find((v) => v.bootHanging));
    req.destroy();
    await new Promise((r) => setTimeout(r, 50));
    vm.finishBoot();
    await until('the sandbox is removed', () => removedBy(vm.id));
    assert.equal(vm.state, 'STOPPED');
    assert.ok(!d.daemon.vms.list().some((s) => s.sandboxId === vm.id));
  } finally {
    driver.boot = () => 'ok';
  }
});
