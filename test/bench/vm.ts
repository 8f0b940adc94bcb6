// VM figures: cold boot to the guest agent's hello (median of 5), `true` round trip on a
// running VM (median of 20), QEMU's own RSS beside the guest RAM it has touched for an idle
// VM (and that RAM again after a guest allocation ended: free page reporting), the accelerator, and `warden run -- true` wall time through the real CLI and daemon,
// cold (restored from the image's snapshot template, and booted, alternated) and from the
// warm pool (median of 5 each), beside the CLI's own start-up time.
// The CLI runs as in a user's shell: without NODE_EXTRA_CA_CERTS, which this workplace sets
// and which makes every Node process load a CA bundle at start (node -e 0 and the warm run
// are measured with it too, beside).
//   node --import tsx test/bench/vm.ts     (or import { benchVm } from npm run bench)

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { QemuMicrovmDriver, type VmImage } from '../../supervisor/vm/index.ts';
import { qemuRssKiB } from '../support/qemu-memory.ts';
import { buildTestImage } from '../vm/image.ts';
import { type BootPhases, bootPhases } from './boot-phases.ts';
import { deadEndProxy } from './dead-end-proxy.ts';
import { benchRestoreMemory } from './restore-memory.ts';
import { warmPoolReady } from './warm-pool.ts';

export interface VmBenchFigures {
  accel: string;
  accelReason: string;
  imageMiB: number;
  imageBuildMs: number;
  coldBootMs: { median: number; runs: number[] };
  /**
   * Cold boot to the guest's init (stage 1 /init starting), wall time from QEMU's spawn:
   * the boot to the agent's hello less the guest time from init to that hello.
   */
  coldBootToInitMs: { median: number; runs: number[] };
  /** Guest time of each phase of those boots, from the console (see boot-phases.ts): medians. */
  coldBootGuestKernelMs: { median: number; runs: number[] };
  coldBootGuestModulesMs: { median: number; runs: number[] };
  coldBootGuestRootMs: { median: number; runs: number[] };
  coldBootGuestAgentMs: { median: number; runs: number[] };
  execTrueMs: { median: number; runs: number[] };
  guestRamMiB: number;
  qemuRssMiB: number;
  /** Of that RSS, the guest RAM mapping's resident pages (QEMU touches guest RAM lazily). */
  guestRamResidentMiB: number;
  /** QEMU's RSS beyond the guest RAM it holds: its own overhead per sandbox. */
  qemuOverheadRssMiB: number;
  /**
   * That overhead less the page cache of the files QEMU maps (the kernel image, its own binary):
   * pages every sandbox of the image shares and the host can drop, so not per sandbox. Dirty
   * page cache counts as cache too: an image built moments before the boot has not been
   * written back yet (counting only clean pages put 65 MiB of it in this figure).
   */
  qemuOverheadPrivateMiB: number;
  /**
   * The same of an idle sandbox as the daemon starts one once its image has a template:
   * restored, with its disk, four commands run, 3 s idle (restore-memory.ts, median of 2).
   * Its TCG buffer holds only the code run since the restore.
   */
  qemuOverheadPrivateMiBRestored: number;
  /** Of that sandbox's guest RAM, the pages it wrote (the rest is its template's page cache). */
  guestRamWrittenMiBRestored: number;
  /** qemuOverheadPrivateMiBRestored's twin booted with a disk, alternated with it. */
  qemuOverheadPrivateMiBBootedWithDisk: number;
  /** The guest RAM resident after a 150 MiB allocation in the guest ended and it idled 4 s. */
  guestRamAfterWorkMiB: number;
  idleVmsFitIn24GiB: number;
  /** `warden run -- true`, wall time of the CLI process, a new VM (--cold) restored from its image's template. */
  wardenRunTrueColdMs: { median: number; runs: number[] };
  /** The same on a daemon with templates off (WARDEN_VM_TEMPLATES=off): a new VM booted. */
  wardenRunTrueColdBootMs: { median: number; runs: number[] };
  /**
   * `warden run -- true`, wall time of the `warden` command as npm installs it (bin/warden:
   * the compiled run client, where Bun is installed), taking the warm pool's VM.
   */
  wardenRunTrueWarmMs: { median: number; runs: number[] };
  /** The same through the Node CLI (`node bin/warden.mjs`), alternated with it. */
  wardenRunTrueWarmNodeCliMs: { median: number; runs: number[] };
  /**
   * The same with this environment's NODE_EXTRA_CA_CERTS (when it sets one): Node loads the
   * bundle at start, before any of warden's code runs, so a user who sets it pays this.
   */
  wardenRunTrueWarmWithExtraCaCertsMs?: { median: number; runs: number[] };
  /** `warden run --help`: the command's start-up with the run command loaded, included in the figures above. */
  wardenCliStartMs: { median: number; runs: number[] };
  /** The same through the Node CLI. */
  wardenCliStartNodeCliMs: { median: number; runs: number[] };
  /** `node -e 0`, as the CLI runs. */
  nodeStartMs: { median: number; runs: number[] };
  /** `node -e 0` with this environment's NODE_EXTRA_CA_CERTS (when it sets one). */
  nodeStartWithExtraCaCertsMs?: { median: number; runs: number[] };
}

const BIN = fileURLToPath(new URL('../../bin/warden.mjs', import.meta.url));
/** The `warden` command as npm installs it (bin/warden). */
const COMMAND = fileURLToPath(new URL('../../bin/warden', import.meta.url));

function timeSpawn(file: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(file, args, { env, encoding: 'utf8', timeout: 300_000 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return Math.round(ms);
}

const timeNode = (args: string[], env: NodeJS.ProcessEnv) => timeSpawn(process.execPath, args, env);
/** The command a user's shell runs. */
const timeCli = (args: string[], env: NodeJS.ProcessEnv) => timeSpawn(COMMAND, args, env);
/** The Node CLI alone. */
const timeNodeCli = (args: string[], env: NodeJS.ProcessEnv) => timeNode([BIN, ...args], env);

/** A daemon of the real CLI on a scratch $WARDEN_HOME with `image`; `stop` ends it and removes the home. */
function benchDaemon(
  image: VmImage,
  env: NodeJS.ProcessEnv,
): { home: string; env: NodeJS.ProcessEnv; stop: () => Promise<void> } {
  const home = mkdtempSync('/tmp/wbrun-');
  mkdirSync(path.join(home, 'images'), { mode: 0o700 });
  symlinkSync(image.dir, path.join(home, 'images', image.id));
  const daemonEnv = { ...env, WARDEN_HOME: home };
  const daemon = spawn(process.execPath, [BIN, 'daemon'], { env: daemonEnv, stdio: 'ignore' });
  return {
    home,
    env: daemonEnv,
    stop: async () => {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.once('exit', r));
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Resolves once the daemon under `home` has a snapshot template built (its pool's first boot has one built). */
async function templateReady(home: string): Promise<void> {
  const dir = path.join(home, 'vm-templates');
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    try {
      if (readdirSync(dir).some((d) => !d.startsWith('.') && existsSync(path.join(dir, d, 'meta.json'))))
        return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no VM template was built within 300 s');
}

/**
 * `warden run -- true` through the real CLI and a daemon on a scratch $WARDEN_HOME. The cold
 * runs restore the image's snapshot template (built after the pool's first boot); beside
 * them, alternated in the same session, cold runs on a second daemon with templates off boot.
 */
export async function benchWardenRun(
  image: VmImage,
  accel: string,
  runs = 5,
): Promise<
  Pick<
    VmBenchFigures,
    | 'wardenRunTrueColdMs'
    | 'wardenRunTrueColdBootMs'
    | 'wardenRunTrueWarmMs'
    | 'wardenRunTrueWarmNodeCliMs'
    | 'wardenRunTrueWarmWithExtraCaCertsMs'
    | 'wardenCliStartMs'
    | 'wardenCliStartNodeCliMs'
    | 'nodeStartMs'
    | 'nodeStartWithExtraCaCertsMs'
  >
> {
  const { NODE_EXTRA_CA_CERTS: extraCa, ...userEnv } = process.env;
  const base = { ...userEnv, WARDEN_ACCEL: accel, WARDEN_IMAGE: image.name };
  const main = benchDaemon(image, { ...base, WARDEN_POOL_SIZE: '1' });
  const booting = benchDaemon(image, { ...base, WARDEN_POOL_SIZE: '0', WARDEN_VM_TEMPLATES: 'off' });
  const { env, home } = main;
  try {
    const poolReady = () => warmPoolReady(home);
    const start: number[] = [];
    const startNodeCli: number[] = [];
    const node: number[] = [];
    const nodeExtraCa: number[] = [];
    for (let i = 0; i < runs; i++) {
      start.push(timeCli(['run', '--help'], env));
      startNodeCli.push(timeNodeCli(['run', '--help'], env));
      node.push(timeNode(['-e', '0'], env));
      if (extraCa) nodeExtraCa.push(timeNode(['-e', '0'], { ...env, NODE_EXTRA_CA_CERTS: extraCa }));
    }
    const warm: number[] = [];
    const warmNodeCli: number[] = [];
    const warmExtraCa: number[] = [];
    for (let i = 0; i < runs; i++) {
      await poolReady();
      warm.push(timeCli(['run', '--', 'true'], env));
      await poolReady();
      warmNodeCli.push(timeNodeCli(['run', '--', 'true'], env));
      if (!extraCa) continue;
      await poolReady();
      warmExtraCa.push(timeCli(['run', '--', 'true'], { ...env, NODE_EXTRA_CA_CERTS: extraCa }));
    }
    await poolReady(); // the pool is idle while the cold runs start
    await templateReady(home);
    const cold: number[] = [];
    const coldBoot: number[] = [];
    for (let i = 0; i < runs; i++) {
      cold.push(timeCli(['run', '--cold', '--', 'true'], env));
      coldBoot.push(timeCli(['run', '--cold', '--', 'true'], booting.env));
    }
    return {
      wardenRunTrueColdMs: { median: median(cold), runs: cold },
      wardenRunTrueColdBootMs: { median: median(coldBoot), runs: coldBoot },
      wardenRunTrueWarmMs: { median: median(warm), runs: warm },
      wardenRunTrueWarmNodeCliMs: { median: median(warmNodeCli), runs: warmNodeCli },
      wardenCliStartMs: { median: median(start), runs: start },
      wardenCliStartNodeCliMs: { median: median(startNodeCli), runs: startNodeCli },
      nodeStartMs: { median: median(node), runs: node },
      ...(extraCa
        ? {
            nodeStartWithExtraCaCertsMs: { median: median(nodeExtraCa), runs: nodeExtraCa },
            wardenRunTrueWarmWithExtraCaCertsMs: { median: median(warmExtraCa), runs: warmExtraCa },
          }
        : {}),
    };
  } finally {
    await Promise.allSettled([main.stop(), booting.stop()]);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

function phaseFigure(
  runs: BootPhases[],
  pick: keyof BootPhases | ((p: BootPhases) => number),
): { median: number; runs: number[] } {
  const xs = runs.map((p) => (typeof pick === 'function' ? pick(p) : p[pick]));
  return { median: xs.length ? median(xs) : -1, runs: xs };
}

export async function benchVm(
  opts: { boots?: number; execs?: number; memoryMiB?: number } = {},
): Promise<VmBenchFigures> {
  const boots = opts.boots ?? 5;
  const execs = opts.execs ?? 20;
  const memoryMiB = opts.memoryMiB ?? 512;
  const built = await buildTestImage();
  const work = mkdtempSync(path.join(os.tmpdir(), 'wbench-'));
  const { server: proxy, port: proxyPort } = await deadEndProxy();
  const driver = new QemuMicrovmDriver({
    runDir: path.join(work, 'run'),
    probeImage: async () => built.image,
  });
  try {
    const accel = await driver.accel();
    const bootRuns: number[] = [];
    const initRuns: number[] = [];
    const execRuns: number[] = [];
    const phaseRuns: BootPhases[] = [];
    let rss = 0;
    let guestRss = 0;
    let fileCache = 0;
    let guestAfterWork = 0;
    for (let i = 0; i < boots; i++) {
      const vm = driver.create({ id: `bench-${i}`, image: built.image, cpus: 1, memoryMiB, proxyPort });
      await vm.start();
      const hello = vm.hello!;
      bootRuns.push(hello.bootMs);
      if (hello.initAtMs !== undefined) initRuns.push(hello.bootMs - (hello.uptimeMs - hello.initAtMs));
      const phases = bootPhases(vm.consoleTail(60), hello.uptimeMs);
      if (phases) phaseRuns.push(phases);
      if (i === 0) {
        for (let j = 0; j < execs; j++) {
          const t = process.hrtime.bigint();
          const r = await vm.run(['true']);
          if (r.code !== 0) throw new Error('true failed in the guest');
          execRuns.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
        await new Promise((r) => setTimeout(r, 2000)); // idle
        const kib = qemuRssKiB(vm.pid!, memoryMiB * 1024);
        rss = kib.total / 1024;
        guestRss = kib.guestRam / 1024;
        fileCache = kib.fileCache / 1024;
        // Work that takes memory and ends: the balloon's free page reporting hands it back.
        const work = await vm.run(['node', '-e', 'Buffer.alloc(150 * 2 ** 20, 1)']);
        if (work.code !== 0) throw new Error('the 150 MiB allocation failed in the guest');
        await new Promise((r) => setTimeout(r, 4000));
        guestAfterWork = qemuRssKiB(vm.pid!, memoryMiB * 1024).guestRam / 1024;
      }
      await vm.stop();
    }
    const memory = await benchRestoreMemory(2);
    const medianOf = (
      xs: { overheadPrivateMiB: number; guestRamWrittenMiB: number }[],
      k: 'overheadPrivateMiB' | 'guestRamWrittenMiB',
    ) => median(xs.map((x) => x[k]));
    const run = await benchWardenRun(built.image, accel.accel, boots);
    return {
      accel: accel.accel,
      accelReason: accel.reason,
      imageMiB: Math.round(built.sizeBytes / 1048576),
      imageBuildMs: built.buildMs,
      coldBootMs: { median: median(bootRuns), runs: bootRuns },
      coldBootToInitMs: { median: initRuns.length ? median(initRuns) : -1, runs: initRuns },
      coldBootGuestKernelMs: phaseFigure(phaseRuns, 'kernelMs'),
      coldBootGuestModulesMs: phaseFigure(phaseRuns, 'modulesMs'),
      coldBootGuestRootMs: phaseFigure(phaseRuns, (p) => p.rootMs + p.initToAgentMs),
      coldBootGuestAgentMs: phaseFigure(phaseRuns, 'agentMs'),
      execTrueMs: {
        median: Math.round(median(execRuns) * 10) / 10,
        runs: execRuns.map((x) => Math.round(x)),
      },
      guestRamMiB: memoryMiB,
      qemuRssMiB: Math.round(rss),
      guestRamResidentMiB: Math.round(guestRss),
      qemuOverheadRssMiB: Math.round(rss - guestRss),
      qemuOverheadPrivateMiB: Math.round(rss - guestRss - fileCache),
      qemuOverheadPrivateMiBRestored: medianOf(memory.restored, 'overheadPrivateMiB'),
      guestRamWrittenMiBRestored: medianOf(memory.restored, 'guestRamWrittenMiB'),
      qemuOverheadPrivateMiBBootedWithDisk: medianOf(memory.booted, 'overheadPrivateMiB'),
      guestRamAfterWorkMiB: Math.round(guestAfterWork),
      // QEMU touches guest RAM lazily, so an idle VM costs its RSS, not its full -m.
      idleVmsFitIn24GiB: Math.floor((24 * 1024) / Math.max(rss, 1)),
      ...run,
    };
  } finally {
    proxy.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchVm(), null, 2));
}
