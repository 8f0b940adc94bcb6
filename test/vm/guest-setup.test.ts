// A guest booted as a snapshot template (warden.template=1: the 9p devices attached, nothing
// mounted) gets its per-sandbox state over the control channel, as a restored guest will:
// its CRNG reseeded from host bytes, the host's clock, and its workspace, agents and agent
// home mounted by the agent. Real QEMU (TCG), the minimal image.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ControlClient, connectWithRetry } from '../../supervisor/vm/control-client.ts';
import { buildQemuArgs } from '../../supervisor/vm/qemu-args.ts';
import { makeSandboxDisk } from '../../supervisor/vm/sandbox-disk.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { buildTestImage } from './image.ts';

async function sh(client: ControlClient, script: string): Promise<{ code: number | null; out: string }> {
  const p = client.exec({ argv: ['/opt/warden/bin/busybox', 'sh', '-c', script], stdin: false });
  let out = '';
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  p.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const { code } = await p.exited;
  return { code, out };
}

describe('a template guest set up over the control channel', { timeout: 300_000 }, () => {
  const tmp = makeTempDir('wsetup-');
  const work = tmp.dir;
  let qemu: ChildProcess | undefined;
  let client: ControlClient;

  before(async () => {
    const { image } = await buildTestImage();
    for (const d of ['ws', 'agents', 'home']) mkdirSync(path.join(work, d));
    writeFileSync(path.join(work, 'ws', 'given.txt'), 'from the host\n');
    writeFileSync(path.join(work, 'agents', 'tool'), 'an agent\n');
    makeSandboxDisk(path.join(work, 'disk.img'), 1024);
    const args = buildQemuArgs({
      accel: 'tcg',
      kernelPath: image.kernelPath,
      initrdPath: image.initrdPath,
      ...(image.rootfsPath ? { rootfsPath: image.rootfsPath } : {}),
      diskPath: path.join(work, 'disk.img'),
      cpus: 1,
      memoryMiB: 512,
      proxyPort: 9,
      proxyConnectCommand: ['busybox', 'nc', '127.0.0.1', '{port}'],
      controlSocket: path.join(work, 'ctl.sock'),
      consoleLog: path.join(work, 'console.log'),
      pidFile: path.join(work, 'qemu.pid'),
      workspace: { hostPath: path.join(work, 'ws'), readOnly: false },
      agentsPath: path.join(work, 'agents'),
      agentHomePath: path.join(work, 'home'),
      template: true,
    });
    qemu = spawn('qemu-system-x86_64', args, { stdio: 'ignore' });
    const socket = await connectWithRetry(path.join(work, 'ctl.sock'), AbortSignal.timeout(120_000));
    client = new ControlClient(socket);
    await client.waitHello();
  });

  after(async () => {
    client?.close('done');
    if (qemu && qemu.exitCode === null) {
      qemu.kill('SIGKILL');
      await new Promise((r) => qemu!.once('exit', r));
    }
    tmp.dispose();
  });

  test('a template boot mounts no share, though the 9p modules are loaded', async () => {
    const r = await sh(client, 'grep -c " 9p " /proc/mounts; grep -o "^9pnet_virtio " /proc/modules');
    assert.deepEqual(r.out.trim().split('\n'), ['0', '9pnet_virtio'], r.out);
  });

  test('setup reseeds the CRNG, sets the clock and mounts the shares', async () => {
    const hourAhead = Date.now() + 3_600_000;
    await client.setup({
      env: {},
      entropy: randomBytes(64).toString('base64'),
      clockMs: hourAhead,
      mounts: { workspace: 'rw', agents: true, home: true },
    });
    const clock = await sh(client, 'date +%s');
    assert.ok(Math.abs(Number(clock.out.trim()) * 1000 - hourAhead) < 5_000, `guest clock ${clock.out}`);
    const ws = await sh(client, 'cat /workspace/given.txt && echo from the guest > /workspace/back.txt');
    assert.equal(ws.out, 'from the host\n');
    assert.equal(readFileSync(path.join(work, 'ws', 'back.txt'), 'utf8'), 'from the guest\n');
    const agents = await sh(
      client,
      'cat /opt/agents/tool; touch /opt/agents/x 2>/dev/null || echo read-only',
    );
    assert.equal(agents.out, 'an agent\nread-only\n');
    const home = await sh(client, 'readlink /root/.claude && echo hi > /root/.claude/note');
    assert.equal(home.out, '/opt/warden-home/.claude\n');
    assert.equal(readFileSync(path.join(work, 'home', '.claude', 'note'), 'utf8'), 'hi\n');
    assert.ok(lstatSync(path.join(work, 'home', '.codex')).isDirectory());
  });

  test('a setup whose randomness is too short fails, with the reason', async () => {
    await assert.rejects(
      client.setup({ env: {}, entropy: 'c2hvcnQ=' }),
      /guest setup failed: .*5 random bytes/,
    );
  });
});
