// Host memory of an idle sandbox VM restored from its template beside one booted, in the
// same run: QEMU's RSS, its guest RAM mapping's resident pages and, of those, the written
// ones (a restored guest's RAM is a private mapping of the template's RAM file: pages it
// has not written stay the template's, in the page cache, shared by every copy).
//   node --import tsx test/bench/restore-memory.ts [rounds]

import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { QemuMicrovmDriver, type Vm } from '../../supervisor/vm/index.ts';
import { qemuRssKiB } from '../support/qemu-memory.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { buildTestImage } from '../vm/image.ts';
import { deadEndProxy } from './dead-end-proxy.ts';

const MEMORY_MIB = 512;

/**
 * QEMU's RSS, its guest RAM mapping's resident pages and of those the written ones, and its
 * private overhead (vm.ts's qemuOverheadPrivateMiB: RSS less guest RAM and file page cache), MiB.
 */
function memory(pid: number) {
  const kib = qemuRssKiB(pid, MEMORY_MIB * 1024);
  const mib = (k: number) => Math.round(k / 1024);
  return {
    rssMiB: mib(kib.total),
    guestRamMiB: mib(kib.guestRam),
    guestRamWrittenMiB: mib(kib.guestRamWritten),
    overheadPrivateMiB: mib(kib.total - kib.guestRam - kib.fileCache),
  };
}

async function idle(vm: Vm): Promise<ReturnType<typeof memory>> {
  await vm.start();
  for (let i = 0; i < 4; i++) await vm.run(['true']);
  await new Promise((r) => setTimeout(r, 3000));
  const m = memory(vm.pid!);
  await vm.stop({ graceMs: 500 });
  return m;
}

export async function benchRestoreMemory(rounds = 3) {
  const { image } = await buildTestImage();
  const tmp = makeTempDir('wrmem-');
  const { server, port } = await deadEndProxy();
  const make = (templates: boolean) =>
    new QemuMicrovmDriver({
      runDir: path.join(tmp.dir, templates ? 'run-t' : 'run-b'),
      ...(templates ? { templatesDir: path.join(tmp.dir, 'templates') } : {}),
      probeImage: async () => image,
      forceAccel: 'tcg',
    });
  const restoring = make(true);
  const booting = make(false);
  try {
    await restoring.templates!.build({ image, accel: 'tcg', cpus: 1, memoryMiB: MEMORY_MIB, diskMiB: 8192 });
    const spec = (id: string) => ({
      id,
      image,
      cpus: 1,
      memoryMiB: MEMORY_MIB,
      diskMiB: 8192,
      proxyPort: port,
    });
    const restored = [];
    const booted = [];
    for (let i = 0; i < rounds; i++) {
      const r = restoring.create(spec(`mr-${i}`));
      restored.push({ ...(await idle(r)), restored: r.hello?.restored === true });
      booted.push(await idle(booting.create(spec(`mb-${i}`))));
    }
    return { restored, booted, loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100) };
  } finally {
    await restoring.stop();
    server.close();
    tmp.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchRestoreMemory(Number(process.argv[2] ?? 3)), null, 1));
}
