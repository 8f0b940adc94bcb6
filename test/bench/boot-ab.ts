// A/B of cold boots: variants booted in turn (round robin), each boot's guest phases
// (boot-phases.ts), wall time to the hello and to the first `true`, printed as medians.
// A variant changes QEMU's arguments (through a wrapper) and/or the agent launcher
// (a copy of the image's root filesystem with /opt/warden/agent.sh replaced by debugfs).
//   node --import tsx test/bench/boot-ab.ts [rounds] [variant,...]
// Variants (one argument each): name=tb:N (tb-size, 0 = QEMU's default), launcher:FLAGS (node
// flags, '-' none), pre:FILE (shell lines before the agent's exec), append:P1:P2 (kernel
// parameters), machine:OPTS (-M options), cpu:MODEL (-cpu), file:HOST:GUEST (a file added to the
// root filesystem), img:DIR (another image), env:K=V:K2=V2 (QEMU's environment), joined with '+',
// e.g.  base  tb1024=tb:1024  jit=launcher:-  arena1=env:MALLOC_ARENA_MAX=1

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QemuMicrovmDriver, type VmImage, verifyImage } from '../../supervisor/vm/index.ts';
import { qemuRssKiB } from '../support/qemu-memory.ts';
import { buildTestImage } from '../vm/image.ts';
import { bootPhases } from './boot-phases.ts';
import { deadEndProxy } from './dead-end-proxy.ts';

const rounds = Number(process.argv[2] ?? 4);
const specs = process.argv.length > 3 ? process.argv.slice(3) : ['base', 'tb1024=tb:1024', 'jit=launcher:-'];
const work = mkdtempSync(path.join(os.tmpdir(), 'boot-ab-'));

const wrapper = path.join(work, 'qemu');
writeFileSync(
  wrapper,
  `#!/bin/bash
args=()
if [[ -n "$AB_ENV" ]]; then export $AB_ENV; fi
for a in "$@"; do
  if [[ -n "$AB_TB" && "$a" == tcg,tb-size=* ]]; then
    if [[ "$AB_TB" == 0 ]]; then a=tcg; else a="tcg,tb-size=$AB_TB"; fi
  fi
  if [[ -n "$AB_APPEND" && "$prev" == -append ]]; then a="$a $AB_APPEND"; fi
  if [[ -n "$AB_MACHINE" && "$prev" == -M ]]; then a="$a,$AB_MACHINE"; fi
  if [[ -n "$AB_CPU" && "$prev" == -cpu ]]; then a="$AB_CPU"; fi
  prev="$a"
  args+=("$a")
done
exec qemu-system-x86_64 "\${args[@]}"
`,
);
chmodSync(wrapper, 0o755);

function launcherVariant(
  image: VmImage,
  flags: string,
  name: string,
  prelude = '',
  files: [string, string][] = [],
): VmImage {
  const dir = path.join(work, name);
  mkdirSync(dir);
  const rootfs = path.join(dir, 'rootfs.ext4');
  copyFileSync(image.rootfsPath!, rootfs);
  const launcher = path.join(dir, 'agent.sh');
  const script = execFileSync('debugfs', ['-R', 'cat /opt/warden/agent.sh', image.rootfsPath!], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const nodeFlags = flags === '-' ? '' : `${flags.replaceAll(':', ' ')} `;
  writeFileSync(
    launcher,
    script.replace(
      /exec \/usr\/bin\/node .*\/opt\/warden\/agent\.js/,
      `${prelude}exec /usr/bin/node ${nodeFlags}/opt/warden/agent.js`,
    ),
  );
  const cmds = [
    'rm /opt/warden/agent.sh',
    `write ${launcher} /opt/warden/agent.sh`,
    'sif /opt/warden/agent.sh mode 0100755',
    ...files.map(([host, guest]) => `write ${host} ${guest}`),
  ];
  for (const c of cmds) execFileSync('debugfs', ['-w', '-R', c, rootfs], { stdio: 'ignore' });
  return { ...image, rootfsPath: rootfs };
}

/** The ten mappings with the most anonymous memory: address range, size, anonymous and huge-page KiB. */
function largestMappings(pid: number): string {
  const rows: { head: string; size: number; anon: number; huge: number }[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) rows.push({ head: line.trim(), size: 0, anon: 0, huge: 0 });
    const m = /^(Size|Anonymous|AnonHugePages):\s+(\d+) kB$/.exec(line);
    const row = rows[rows.length - 1];
    if (!m || !row) continue;
    if (m[1] === 'Size') row.size = Number(m[2]);
    else if (m[1] === 'Anonymous') row.anon = Number(m[2]);
    else row.huge = Number(m[2]);
  }
  return rows
    .sort((a, b) => b.anon - a.anon)
    .slice(0, 10)
    .map((r) => `${r.anon} KiB anon (${r.huge} huge) of ${r.size}: ${r.head}`)
    .join('\n');
}

interface Variant {
  name: string;
  tb?: string;
  append?: string;
  machine?: string;
  cpu?: string;
  env?: string;
  image: VmImage;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
};

const built = await buildTestImage();
const variants: Variant[] = [];
for (const spec of specs) {
  const eq = spec.indexOf('=');
  const [name, parts] = eq < 0 ? [spec, ''] : [spec.slice(0, eq), spec.slice(eq + 1)];
  const v: Variant = { name: name!, image: built.image };
  const img = /(?:^|\+)img:([^+]+)/.exec(parts)?.[1];
  if (img) v.image = await verifyImage(img);
  let flags: string | undefined;
  let prelude = '';
  const files: [string, string][] = [];
  for (const part of parts.split('+').filter(Boolean)) {
    const [key, value] = [part.slice(0, part.indexOf(':')), part.slice(part.indexOf(':') + 1)];
    if (key === 'tb') v.tb = value;
    else if (key === 'launcher') flags = value;
    else if (key === 'pre') prelude = readFileSync(value, 'utf8');
    else if (key === 'file') files.push(value.split(':') as [string, string]);
    else if (key === 'img') continue;
    else if (key === 'append') v.append = value.replaceAll(':', ' ');
    else if (key === 'machine') v.machine = value;
    else if (key === 'cpu') v.cpu = value;
    else if (key === 'env') v.env = value.replaceAll(':', ' ');
    else throw new Error(`unknown variant part ${part}`);
  }
  if (flags !== undefined || prelude || files.length)
    v.image = launcherVariant(v.image, flags ?? '--jitless', name!, prelude, files);
  variants.push(v);
}

const { server: proxy, port: proxyPort } = await deadEndProxy();
const driver = new QemuMicrovmDriver({
  runDir: path.join(work, 'run'),
  probeImage: async () => built.image,
  forceAccel: 'tcg',
  qemuBinary: wrapper,
  verifyImage: async (image) => image,
});
const rows: Record<string, Record<string, number[]>> = {};
try {
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      if (v.tb) process.env.AB_TB = v.tb;
      else delete process.env.AB_TB;
      if (v.append) process.env.AB_APPEND = v.append;
      else delete process.env.AB_APPEND;
      if (v.machine) process.env.AB_MACHINE = v.machine;
      else delete process.env.AB_MACHINE;
      if (v.cpu) process.env.AB_CPU = v.cpu;
      else delete process.env.AB_CPU;
      if (v.env) process.env.AB_ENV = v.env;
      else delete process.env.AB_ENV;
      const vm = driver.create({
        id: `ab-${r}-${v.name}`,
        image: v.image,
        cpus: 1,
        memoryMiB: 512,
        diskMiB: 8192,
        proxyPort,
      });
      const load = os.loadavg()[0]!;
      await vm.start();
      const hello = vm.hello!;
      const t = process.hrtime.bigint();
      await vm.run(['true']);
      const firstTrue = Number(process.hrtime.bigint() - t) / 1e6;
      const phases = bootPhases(vm.consoleTail(60), hello.uptimeMs);
      // AB_RSS: QEMU's own private memory (vm.ts's qemuOverheadPrivateMiB) after 20 `true` and 2 s idle.
      let overheadMiB: number | undefined;
      if (process.env.AB_RSS) {
        for (let j = 0; j < 20; j++) await vm.run(['true']);
        await new Promise((r) => setTimeout(r, 2000));
        const kib = qemuRssKiB(vm.pid!, 512 * 1024);
        overheadMiB = (kib.total - kib.guestRam - kib.fileCache) / 1024;
        if (process.env.AB_SMAPS)
          process.stderr.write(`--- ${v.name} largest private mappings\n${largestMappings(vm.pid!)}\n`);
      }
      // AB_CMD: a shell command timed twice after the boot (first and second run).
      const cmdMs: number[] = [];
      for (let i = 0; process.env.AB_CMD && i < 2; i++) {
        const c = process.hrtime.bigint();
        const r = await vm.run(['sh', '-c', process.env.AB_CMD]);
        if (r.code !== 0) throw new Error(`AB_CMD failed: ${r.stderr}`);
        cmdMs.push(Number(process.hrtime.bigint() - c) / 1e6);
      }
      if (process.env.AB_DUMP) {
        const dmesg = (await vm.run(['/opt/warden/bin/busybox', 'dmesg'])).stdout.toString();
        process.stderr.write(`--- ${v.name} console\n${vm.consoleTail(60)}\n--- dmesg\n${dmesg}\n`);
      }
      await vm.stop();
      rows[v.name] ??= {};
      const row = rows[v.name]!;
      const add = (k: string, x: number) => {
        row[k] ??= [];
        row[k]!.push(Math.round(x));
      };
      add('helloMs', hello.bootMs);
      add('firstTrueMs', firstTrue);
      add('uptimeAtHelloMs', hello.uptimeMs);
      if (phases) for (const [k, x] of Object.entries(phases)) add(k, x);
      for (const [i, x] of cmdMs.entries()) add(`cmd${i + 1}Ms`, x);
      if (overheadMiB !== undefined) add('qemuOverheadPrivateMiB', overheadMiB);
      add('load', load * 100);
      process.stderr.write(
        `${v.name} #${r}: hello ${hello.bootMs} ms, true ${Math.round(firstTrue)} ms, cmd ${cmdMs.map(Math.round).join('/')} ms, ${JSON.stringify(phases)}, load ${load.toFixed(2)}\n`,
      );
    }
  }
} finally {
  proxy.close();
  rmSync(work, { recursive: true, force: true });
}
for (const [name, row] of Object.entries(rows)) {
  const cells = Object.entries(row).map(([k, xs]) =>
    k === 'load' ? `load ${(median(xs) / 100).toFixed(2)}` : `${k} ${median(xs)}`,
  );
  console.log(`${name}: ${cells.join(', ')}`);
}
