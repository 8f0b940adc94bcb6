// Sandboxes restored from a snapshot template (real QEMU under TCG, the minimal image): a
// template is built, then two VMs restored from it must be two sandboxes, not one twice:
// different random bytes, the host's clock, each its own workspace and disk, each reaching
// its own proxy. A damaged template falls back to a cold boot, logged, and so does a state
// file QEMU cannot load (the template is then dropped).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { timespec } from '../../supervisor/vm/image/helper-elfs.ts';
import { QemuMicrovmDriver, type Vm, type VmImage } from '../../supervisor/vm/index.ts';
import { until } from '../support/daemon.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { buildTestImage } from './image.ts';

const DAY_MS = 86_400_000;

const CA = '-----BEGIN CERTIFICATE-----\nTUlJQ2Zha2VXYXJkZW5UZXN0Q0E=\n-----END CERTIFICATE-----\n';

/** A stand-in proxy listener that names itself in each answer. */
async function proxy(name: string): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((c) =>
    c.on('data', (d) => {
      const body = `${name}:${d.toString().split('\r\n')[0]}`;
      c.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

describe('sandboxes restored from a snapshot template (real QEMU)', { timeout: 600_000 }, () => {
  const tmp = makeTempDir('wrestore-');
  const work = tmp.dir;
  const logs: { message: string; fields?: Record<string, unknown> }[] = [];
  let image: VmImage;
  let driver: QemuMicrovmDriver;
  const proxies: net.Server[] = [];
  const vms: Vm[] = [];
  let a: Vm;
  let b: Vm;

  const create = (id: string, port: number, ws?: { dir: string; readOnly: boolean }) => {
    const vm = driver.create({
      id,
      image,
      cpus: 1,
      memoryMiB: 512,
      diskMiB: 1024,
      proxyPort: port,
      caPem: CA,
      env: { WHO: id },
      ...(ws ? { workspace: { hostPath: ws.dir, readOnly: ws.readOnly } } : {}),
    });
    vms.push(vm);
    return vm;
  };

  before(async () => {
    image = (await buildTestImage()).image;
    driver = new QemuMicrovmDriver({
      runDir: path.join(work, 'run'),
      templatesDir: path.join(work, 'templates'),
      probeImage: async () => image,
      forceAccel: 'tcg',
      log: (message, fields) => logs.push({ message, ...(fields ? { fields } : {}) }),
    });
    // The template's CRNG is reseeded just before it is saved: the kernel's own next reseed
    // (every uptime/2 seconds this early) is then seconds away in every copy, so copies
    // differ in their first random bytes only through the reseed their setup asks for.
    const built = await driver.templates!.build(
      { image, accel: 'tcg', cpus: 1, memoryMiB: 512, diskMiB: 1024 },
      {
        beforeSave: async (client) => {
          const p = client.exec({ argv: ['/opt/warden/bin/reseed'], stdin: false });
          p.stdout.resume();
          p.stderr.resume();
          assert.equal((await p.exited).code, 0, 'the template reseeded');
          // The template's clock a day behind: only the restore's setup brings a copy's to the
          // host's (a guest's clock can lag seconds behind under TCG on a loaded host).
          const c = client.exec({ argv: ['/opt/warden/bin/set-clock'], stdin: true });
          c.stdout.resume();
          c.stderr.resume();
          c.write(timespec(Date.now() - DAY_MS));
          c.end();
          assert.equal((await c.exited).code, 0, 'the template clock set a day back');
        },
      },
    );
    process.stderr.write(`template: ${built.dir}\n`);
    for (const n of ['a', 'b']) {
      mkdirSync(path.join(work, `ws-${n}`));
      writeFileSync(path.join(work, `ws-${n}`, 'mine.txt'), `workspace ${n}\n`);
    }
    const pa = await proxy('proxy-a');
    const pb = await proxy('proxy-b');
    proxies.push(pa.server, pb.server);
    a = create('ra', pa.port, { dir: path.join(work, 'ws-a'), readOnly: false });
    b = create('rb', pb.port, { dir: path.join(work, 'ws-b'), readOnly: true });
    for (const vm of [a, b]) {
      await vm.start();
      process.stderr.write(`${vm.id}: restored ${vm.hello?.restored} in ${vm.hello?.bootMs} ms\n`);
    }
  });

  after(async () => {
    await Promise.allSettled([driver.stop(), ...vms.map((vm) => vm.stop({ graceMs: 500 }))]);
    for (const p of proxies) p.close();
    tmp.dispose();
  });

  const out = async (vm: Vm, script: string) => {
    const r = await vm.run(['sh', '-c', script]);
    assert.equal(r.code, 0, `${vm.id}: ${script}: ${r.stderr}`);
    return r.stdout.toString();
  };

  test("both were restored, not booted; their console log starts with the template's boot", () => {
    assert.equal(a.hello?.restored, true, JSON.stringify(logs));
    assert.equal(b.hello?.restored, true, JSON.stringify(logs));
    assert.match(a.consoleTail(200), /warden-init: root ready[\s\S]*warden: restored from its template at /);
  });

  test('two restored guests read different random bytes', async () => {
    const [ra, rb] = await Promise.all([a, b].map((vm) => out(vm, 'head -c 16 /dev/urandom | od -An -tx1')));
    assert.match(ra!, /^( [0-9a-f]{2}){16}\n$/);
    assert.notEqual(ra, rb);
  });

  test("each has the host clock, not its template's (a day behind)", async () => {
    for (const vm of [a, b]) {
      const guest = Number((await out(vm, 'date +%s')).trim());
      assert.ok(
        Math.abs(guest - Date.now() / 1000) <= 30,
        `${vm.id}: guest ${guest}, host ${Date.now() / 1000}`,
      );
    }
  });

  test('each sees its own workspace (read-write, read-only) and its environment and CA', async () => {
    assert.equal(await out(a, 'cat /workspace/mine.txt; echo from a > /workspace/new.txt'), 'workspace a\n');
    assert.equal(readFileSync(path.join(work, 'ws-a', 'new.txt'), 'utf8'), 'from a\n');
    assert.equal(await out(b, 'cat /workspace/mine.txt'), 'workspace b\n');
    const denied = await b.run(['sh', '-c', 'echo x > /workspace/new.txt']);
    assert.notEqual(denied.code, 0, 'a read-only workspace stays read-only');
    assert.equal(existsSync(path.join(work, 'ws-b', 'new.txt')), false);
    assert.equal(await out(a, 'echo $WHO'), 'ra\n');
    assert.equal(await out(b, 'echo $WHO; cat /etc/ssl/certs/ca-certificates.crt'), `rb\n${CA}`);
  });

  test('their disks are their own', async () => {
    await out(a, 'echo only in a > /root/a.txt && sync');
    assert.equal(await out(b, 'cat /root/a.txt 2>/dev/null || echo absent'), 'absent\n');
    await out(b, 'head -c 1000000 /dev/urandom > /tmp/big && sync');
    assert.equal(await out(a, 'ls /tmp/big 2>/dev/null || echo absent'), 'absent\n');
    assert.equal(await out(a, 'cat /root/a.txt'), 'only in a\n');
  });

  test('a guest that mounts a share it was not given finds an empty read-only folder', async () => {
    const r = await a.run([
      'sh',
      '-c',
      'mkdir -p /mnt/h && mount -t 9p -o trans=virtio,version=9p2000.L home /mnt/h && ls -A /mnt/h | wc -l && (echo x > /mnt/h/f || echo refused)',
    ]);
    assert.equal(r.stdout.toString(), '0\nrefused\n', r.stderr.toString());
    assert.ok(r.stderr.toString().includes('Read-only file system'), r.stderr.toString());
  });

  test('each reaches its own proxy', async () => {
    assert.equal(
      await out(a, 'curl -s -m 5 http://example.test/'),
      'proxy-a:GET http://example.test/ HTTP/1.1',
    );
    assert.equal(
      await out(b, 'curl -s -m 5 http://example.test/'),
      'proxy-b:GET http://example.test/ HTTP/1.1',
    );
  });

  test('a damaged template state file falls back to a boot; one QEMU cannot load too', async () => {
    const key = await driver.templates!.key({ image, accel: 'tcg', cpus: 1, memoryMiB: 512, diskMiB: 1024 });
    const found = driver.templates!.find(key);
    assert.ok('template' in found);
    const state = found.template.stateFile;
    const good = readFileSync(state);
    writeFileSync(state, Buffer.concat([good.subarray(0, 100), Buffer.alloc(64, 0xee), good.subarray(164)]));
    const damaged = create('rc', 9);
    await damaged.start();
    assert.equal(damaged.hello?.restored, undefined, 'booted');
    assert.equal((await damaged.run(['true'])).code, 0);
    assert.ok(
      logs.some(
        (l) => l.message === 'VM template not used' && l.fields?.why === 'its device state file is damaged',
      ),
    );
    // That boot had the template built again, in the background.
    await until('the template to be built again', () => 'template' in driver.templates!.find(key), 180_000);
    // The same damage with a digest to match: QEMU refuses the stream, the VM boots, the template goes.
    // Damaged in the rebuilt template's own state: another build's may differ in length from its meta.
    const rebuilt = readFileSync(state);
    writeFileSync(
      state,
      Buffer.concat([rebuilt.subarray(0, 100), Buffer.alloc(64, 0xee), rebuilt.subarray(164)]),
    );
    const meta = path.join(found.template.dir, 'meta.json');
    const m = JSON.parse(readFileSync(meta, 'utf8'));
    m.stateSha256 = createHash('sha256').update(readFileSync(state)).digest('hex');
    writeFileSync(meta, JSON.stringify(m));
    const again = driver.templates!.find(key);
    assert.ok('template' in again, JSON.stringify(again));
    const unloadable = create('rd', 9);
    const started = Date.now();
    await unloadable.start();
    assert.equal(unloadable.hello?.restored, undefined, 'booted');
    assert.equal((await unloadable.run(['true'])).code, 0);
    assert.ok(
      logs.some((l) => l.message === 'VM restore failed, booting instead'),
      JSON.stringify(logs),
    );
    assert.equal(existsSync(found.template.dir), false, 'the template that failed is dropped');
    assert.equal(
      await driver.templates!.pending({ image, accel: 'tcg', cpus: 1, memoryMiB: 512, diskMiB: 1024 }),
      undefined,
      'and not built again',
    );
    process.stderr.write(`fallback after a failed restore: ${Date.now() - started} ms\n`);
    await Promise.all([damaged.stop({ graceMs: 500 }), unloadable.stop({ graceMs: 500 })]);
  });
});
