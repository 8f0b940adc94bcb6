// VM figures: cold boot to the guest agent's hello (median of 5), `true` round trip on a
// running VM (median of 20), QEMU's RSS beyond guest RAM for an idle VM, the accelerator.
//   node --import tsx test/bench/vm.ts     (or import { benchVm } from npm run bench)

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { QemuMicrovmDriver } from '../../supervisor/vm/index.ts';
import { buildTestImage } from '../vm/image.ts';

export interface VmBenchFigures {
  accel: string;
  accelReason: string;
  imageMiB: number;
  imageBuildMs: number;
  coldBootMs: { median: number; runs: number[] };
  execTrueMs: { median: number; runs: number[] };
  guestRamMiB: number;
  qemuRssMiB: number;
  rssBeyondGuestRamMiB: number;
  idleVmsFitIn24GiB: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

export async function benchVm(
  opts: { boots?: number; execs?: number; memoryMiB?: number } = {},
): Promise<VmBenchFigures> {
  const boots = opts.boots ?? 5;
  const execs = opts.execs ?? 20;
  const memoryMiB = opts.memoryMiB ?? 512;
  const built = await buildTestImage();
  const work = mkdtempSync(path.join(os.tmpdir(), 'wbench-'));
  const proxy = net.createServer((c) => c.end());
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyPort = (proxy.address() as net.AddressInfo).port;
  const driver = new QemuMicrovmDriver({
    runDir: path.join(work, 'run'),
    probeImage: async () => built.image,
  });
  try {
    const accel = await driver.accel();
    const bootRuns: number[] = [];
    const execRuns: number[] = [];
    let rss = 0;
    for (let i = 0; i < boots; i++) {
      const vm = driver.create({ id: `bench-${i}`, image: built.image, cpus: 1, memoryMiB, proxyPort });
      await vm.start();
      bootRuns.push(vm.hello!.bootMs);
      if (i === 0) {
        for (let j = 0; j < execs; j++) {
          const t = process.hrtime.bigint();
          const r = await vm.run(['true']);
          if (r.code !== 0) throw new Error('true failed in the guest');
          execRuns.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
        await new Promise((r) => setTimeout(r, 2000)); // idle
        rss = rssKiB(vm.pid!) / 1024;
      }
      await vm.stop();
    }
    const beyond = Math.max(0, rss - memoryMiB);
    return {
      accel: accel.accel,
      accelReason: accel.reason,
      imageMiB: Math.round(built.sizeBytes / 1048576),
      imageBuildMs: built.buildMs,
      coldBootMs: { median: median(bootRuns), runs: bootRuns },
      execTrueMs: {
        median: Math.round(median(execRuns) * 10) / 10,
        runs: execRuns.map((x) => Math.round(x)),
      },
      guestRamMiB: memoryMiB,
      qemuRssMiB: Math.round(rss),
      rssBeyondGuestRamMiB: Math.round(beyond),
      // QEMU touches guest RAM lazily, so an idle VM costs its RSS, not its full -m.
      idleVmsFitIn24GiB: Math.floor((24 * 1024) / Math.max(rss, 1)),
    };
  } finally {
    proxy.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchVm(), null, 2));
}
