// Boots the minimal image in real QEMU microvm guests (TCG here) and checks the sandbox
// contract end to end. Two VMs boot side by side (read-write and read-only workspace) and
// each runs several checks, to keep the wall time small.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  QemuMicrovmDriver,
  reapOrphans,
  type StateChange,
  type Vm,
  type VmImage,
} from '../../supervisor/vm/index.ts';
import { until } from '../support/daemon.ts';
import { qemuRssKiB } from '../support/qemu-memory.ts';
import { alive } from './cli.ts';
import { buildTestImage, repoRoot } from './image.ts';

const CA = '-----BEGIN CERTIFICATE-----\nTUlJQ2Zha2VXYXJkZW5UZXN0Q0E=\n-----END CERTIFICATE-----\n';

describe('QEMU microvm sandbox (real guests)', { timeout: 600_000 }, () => {
  let image: VmImage;
  let work: string;
  let runDir: string;
  let driver: QemuMicrovmDriver;
  let proxy: net.Server;
  let proxyPort: number;
  let rw: Vm;
  let ro: Vm;
  const rwStates: StateChange[] = [];

  before(async () => {
    const built = await buildTestImage();
    image = built.image;
    process.stderr.write(
      `image ${image.id.slice(0, 12)}: ${(built.sizeBytes / 1048576).toFixed(1)} MiB, built in ${built.buildMs} ms\n`,
    );
    mkdirSync(path.join(repoRoot, 'test-artifacts'), { recursive: true });
    work = mkdtempSync(path.join('/tmp', 'wvm-'));
    runDir = path.join(work, 'run');
    mkdirSync(path.join(work, 'ws-rw'));
    mkdirSync(path.join(work, 'ws-ro'));
    writeFileSync(path.join(work, 'ws-ro', 'given.txt'), 'from the host\n');
    // Stands in for this sandbox's proxy listener: answers "proxy:" + what it got.
    // An HTTP request gets a 200 whose body is its request line.
    proxy = net.createServer((c) =>
      c.on('data', (d) => {
        const text = d.toString();
        if (!text.startsWith('GET ')) return void c.write('proxy:' + text);
        const body = 'proxy:' + text.split('\r\n')[0];
        c.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      }),
    );
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyPort = (proxy.address() as net.AddressInfo).port;
    driver = new QemuMicrovmDriver({ runDir, probeImage: async () => image, forceAccel: 'tcg' });
    rw = driver.create({
      id: 'rw',
      image,
      cpus: 1,
      memoryMiB: 512,
      proxyPort,
      caPem: CA,
      env: { GITHUB_TOKEN: 'warden-placeholder-github' },
      workspace: { hostPath: path.join(work, 'ws-rw'), readOnly: false },
    });
    rw.onStateChanged((c) => rwStates.push(c));
    ro = driver.create({
      id: 'ro',
      image,
      cpus: 1,
      memoryMiB: 512,
      proxyPort,
      workspace: { hostPath: path.join(work, 'ws-ro'), readOnly: true },
    });
    const t = Date.now();
    await Promise.all([rw.start(), ro.start()]);
    process.stderr.write(
      `two TCG boots side by side: ${Date.now() - t} ms (rw ${rw.hello?.bootMs} ms, ro ${ro.hello?.bootMs} ms)\n`,
    );
  });

  after(async () => {
    await Promise.allSettled([rw?.stop(), ro?.stop()]);
    proxy?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('boot reports RUNNING after STARTING, with the accelerator and the agent hello', () => {
    assert.deepEqual(
      rwStates.map((c) => c.to),
      ['STARTING', 'RUNNING'],
    );
    assert.equal(rw.accel?.accel, 'tcg');
    assert.match(rw.hello!.agent, /^warden-agent\//);
    assert.ok(rw.pid! > 0);
  });

  test('the guest reports its own memory: under what it was given, and it moves with use', async () => {
    const first = await until('the guest’s first memory report', () => rw.guestStats, 15_000);
    assert.ok(
      first.memTotalBytes > 256 * 2 ** 20 && first.memTotalBytes <= 512 * 2 ** 20,
      String(first.memTotalBytes),
    );
    assert.ok(first.memAvailableBytes > 0 && first.memAvailableBytes < first.memTotalBytes);
    // A process in the guest holding 96 MiB: the next reports show it in use.
    const used = (s: { memTotalBytes: number; memAvailableBytes: number }) =>
      s.memTotalBytes - s.memAvailableBytes;
    const baseline = used(first);
    const hold = rw.exec({
      argv: [
        'node',
        '-e',
        'const b = Buffer.alloc(96 << 20, 1); console.log("held"); setTimeout(() => b, 60000)',
      ],
    });
    try {
      await until(
        'a report with the 96 MiB in use',
        () => rw.guestStats && used(rw.guestStats) >= baseline + 64 * 2 ** 20,
        60_000,
      );
    } finally {
      hold.kill('SIGKILL');
    }
  });

  test('memory the guest frees goes back to the host (free page reporting)', async () => {
    const guestRamMiB = () => qemuRssKiB(rw.pid!, 512 * 1024).guestRam / 1024;
    const before = guestRamMiB();
    const work = await rw.run(['node', '-e', 'Buffer.alloc(150 * 2 ** 20, 1)']);
    assert.equal(work.code, 0, work.stderr.toString());
    // Without the balloon the 150 MiB the guest touched stay resident in QEMU for good.
    await until(
      `the guest RAM back near its ${Math.round(before)} MiB`,
      () => guestRamMiB() < before + 48,
      30_000,
    );
  });

  test('echo hi, exit codes, stdin and concurrent execs', async () => {
    const hi = await rw.run(['echo', 'hi']);
    assert.deepEqual([hi.code, hi.stdout.toString(), hi.stderr.toString()], [0, 'hi\n', '']);
    const seven = await rw.run(['sh', '-c', 'echo oops >&2; exit 7']);
    assert.deepEqual([seven.code, seven.stderr.toString()], [7, 'oops\n']);
    const cat = await rw.run(['cat'], { stdin: 'through stdin\n' });
    assert.equal(cat.stdout.toString(), 'through stdin\n');
    const t = Date.now();
    const both = await Promise.all([
      rw.run(['sh', '-c', 'sleep 1; echo a']),
      rw.run(['sh', '-c', 'sleep 1; echo b']),
    ]);
    assert.deepEqual(
      both.map((r) => r.stdout.toString()),
      ['a\n', 'b\n'],
    );
    assert.ok(Date.now() - t < 1900, 'the two execs ran at the same time');
    const missing = await rw.run(['/no/such/command']);
    assert.equal(missing.code, 127);
    // Run by the agent's spare shell ("not found"), or spawned directly (ENOENT).
    assert.match(missing.stderr.toString(), /not found|ENOENT/);
  });

  test('5 MB of output arrives intact', async () => {
    const r = await rw.run(['sh', '-c', 'head -c 5242880 /dev/urandom > /tmp/big && cat /tmp/big']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.length, 5 * 1024 * 1024);
    const guestSum = (await rw.run(['sha256sum', '/tmp/big'])).stdout.toString().split(' ')[0];
    assert.equal(createHash('sha256').update(r.stdout).digest('hex'), guestSum);
  });

  test('a signal ends a command and is reported', async () => {
    const p = rw.exec({ argv: ['sleep', '30'] });
    await p.started;
    p.kill('SIGTERM');
    assert.deepEqual(await p.exited, { code: null, signal: 'SIGTERM' });
  });

  test('CA, proxy variables and placeholders are in the guest environment', async () => {
    const env = (await rw.run(['env'])).stdout.toString();
    for (const line of [
      'HTTPS_PROXY=http://10.0.2.100:3128',
      'HTTP_PROXY=http://10.0.2.100:3128',
      'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt',
      'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
      'REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt',
      'GIT_SSL_CAINFO=/etc/ssl/certs/ca-certificates.crt',
      'CURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt',
      'GITHUB_TOKEN=warden-placeholder-github',
    ]) {
      assert.ok(env.split('\n').includes(line), `missing ${line}`);
    }
    const bundle = await rw.run(['cat', '/etc/ssl/certs/ca-certificates.crt']);
    assert.equal(bundle.stdout.toString(), CA);
  });

  test('the only way out is the proxy: 10.0.2.100:3128 reaches it, direct connections fail', async () => {
    const viaProxy = await rw.run(['sh', '-c', 'echo ping | nc -w 3 10.0.2.100 3128']);
    assert.equal(viaProxy.stdout.toString(), 'proxy:ping\n');
    const concurrent = await rw.run([
      'sh',
      '-c',
      '(echo a; sleep 1) | nc 10.0.2.100 3128 > /tmp/a & (echo b; sleep 1) | nc 10.0.2.100 3128 > /tmp/b & wait; cat /tmp/a /tmp/b',
    ]);
    assert.equal(concurrent.stdout.toString(), 'proxy:a\nproxy:b\n');
    // The host's loopback (where the proxy listens) straight from the guest: refused.
    const direct = await rw.run(['sh', '-c', `echo ping | nc -w 3 10.0.2.2 ${proxyPort}`]);
    assert.notEqual(direct.code, 0);
    assert.equal(direct.stdout.toString(), '');
    // Any other address (TEST-NET-1, never routed): no way out.
    const outside = await rw.run(['sh', '-c', 'echo ping | nc -w 3 192.0.2.1 80']);
    assert.notEqual(outside.code, 0);
    assert.equal(outside.stdout.toString(), '');
  });

  test('curl in the guest goes through the proxy variable', async () => {
    const r = await rw.run(['curl', '-s', '-m', '5', 'http://example.test/']);
    // The stand-in proxy answers with the request line it got: curl sent it to the proxy.
    assert.equal(r.stdout.toString(), 'proxy:GET http://example.test/ HTTP/1.1');
  });

  test('PTY: the command sees a terminal of the given size, and resize reaches it', async () => {
    const p = rw.exec({
      argv: ['sh', '-c', 'tty; stty size; read x; stty size'],
      pty: { rows: 30, cols: 100 },
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await p.started;
    const until = Date.now() + 10_000;
    while (!/30 100/.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    p.resize(40, 120);
    await new Promise((r) => setTimeout(r, 300));
    p.write('\n');
    const status = await p.exited;
    assert.equal(status.code, 0, out);
    assert.match(out, /\/dev\/pts\/\d+/);
    assert.match(out, /30 100[\s\S]*40 120/);
  });

  test('workspace: written in the guest appears on the host (rw); refused when read-only', async () => {
    const w = await rw.run(['sh', '-c', 'echo written-in-guest > /workspace/out.txt']);
    assert.equal(w.code, 0, w.stderr.toString());
    assert.equal(readFileSync(path.join(work, 'ws-rw', 'out.txt'), 'utf8'), 'written-in-guest\n');
    const read = await ro.run(['cat', '/workspace/given.txt']);
    assert.equal(read.stdout.toString(), 'from the host\n');
    const refused = await ro.run(['sh', '-c', 'echo nope > /workspace/new.txt']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr.toString(), /Read-only file system/);
    assert.equal(existsSync(path.join(work, 'ws-ro', 'new.txt')), false);
  });

  test('kill -9 of QEMU turns the VM to ERROR with the reason', async () => {
    const pid = ro.pid!;
    const changed = new Promise<StateChange>((resolve) => ro.onStateChanged(resolve));
    process.kill(pid, 'SIGKILL');
    const c = await changed;
    assert.equal(c.to, 'ERROR');
    assert.match(c.reason!, /QEMU exited unexpectedly \(signal SIGKILL\)/);
    assert.equal(ro.state, 'ERROR');
    await ro.stop();
    assert.equal(ro.state, 'STOPPED');
    assert.equal(existsSync(ro.runtimeDir), false);
  });

  test('stop asks the guest to power off and removes the runtime folder', async () => {
    const t = Date.now();
    await rw.stop();
    assert.equal(rw.state, 'STOPPED');
    assert.ok(Date.now() - t < 3000, 'powered off before the SIGTERM fallback');
    assert.equal(existsSync(rw.runtimeDir), false);
    assert.deepEqual(
      rwStates.map((c) => c.to),
      ['STARTING', 'RUNNING', 'STOPPING', 'STOPPED'],
    );
  });

  test('reapOrphans kills a QEMU whose parent was killed with -9', async () => {
    const orphanRun = path.join(work, 'orphan-run');
    const parent = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'test/vm/fixtures/orphan-parent.ts'), orphanRun, image.dir],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const qemuPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /spawned (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      parent.once('exit', () => reject(new Error(`parent exited early: ${out}`)));
    });
    parent.kill('SIGKILL');
    await new Promise((r) => parent.once('exit', r));
    assert.ok(alive(qemuPid), 'QEMU outlived its parent');
    const reaped = await reapOrphans(orphanRun);
    assert.deepEqual(reaped, [{ dir: path.join(orphanRun, 'vm-orphan'), pid: qemuPid, killed: true }]);
    assert.equal(alive(qemuPid), false);
    assert.equal(existsSync(path.join(orphanRun, 'vm-orphan')), false);
  });

  test('the accelerator probe tries KVM within its deadline and says what it chose', async () => {
    const probeRun = path.join(work, 'probe-run');
    const probing = new QemuMicrovmDriver({
      runDir: probeRun,
      probeImage: async () => image,
      probeDeadlineMs: 4000,
    });
    const choice = await probing.accel();
    process.stderr.write(`accelerator: ${choice.accel} (${choice.reason})\n`);
    assert.ok(['kvm', 'tcg'].includes(choice.accel));
    assert.ok(choice.reason.length > 10);
    assert.equal(await probing.accel(), choice);
    assert.deepEqual(await reapOrphans(probeRun), [], 'the probe VM left nothing behind');
  });
});
