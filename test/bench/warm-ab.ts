// A/B of warm `warden run -- true`: one daemon with a warm pool of one VM, and CLI variants
// run in turn (round robin), each its own copy of bin/ and dist/; medians per variant, with
// `node -e 0` and the load average beside them.
//   node --import tsx test/bench/warm-ab.ts [rounds] [name=DIR[+ca]] ...
// DIR holds bin/warden.mjs and dist/ (default: this checkout); '+ca' runs that variant with
// this environment's NODE_EXTRA_CA_CERTS (the others run without it, as a user's shell does).
// WARM_AB_DAEMON=DIR runs the daemon from another copy; WARM_AB_IMAGE=DIR another built image;
// WARM_AB_ARGS='…' replaces `-- true`; WARM_AB_SETTLE=MS waits after the pool is ready (300).

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyImage } from '../../supervisor/vm/index.ts';
import { buildTestImage } from '../vm/image.ts';
import { warmPoolReady } from './warm-pool.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rounds = Number(process.argv[2] ?? 8);
const specs = process.argv.length > 3 ? process.argv.slice(3) : ['base'];
const variants = specs.map((s) => {
  const eq = s.indexOf('=');
  const name = eq < 0 ? s : s.slice(0, eq);
  const rest = eq < 0 ? root : s.slice(eq + 1);
  const ca = rest.endsWith('+ca');
  return { name, dir: path.resolve(ca ? rest.slice(0, -3) : rest), ca };
});
const runArgs = (process.env.WARM_AB_ARGS ?? '-- true').split(' ');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
};

function time(args: string[], env: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 120_000 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return Math.round(ms);
}

const built = process.env.WARM_AB_IMAGE
  ? { image: await verifyImage(path.resolve(process.env.WARM_AB_IMAGE)) }
  : await buildTestImage();
const home = mkdtempSync('/tmp/warm-ab-');
mkdirSync(path.join(home, 'images'), { mode: 0o700 });
symlinkSync(built.image.dir, path.join(home, 'images', built.image.id));
const { NODE_EXTRA_CA_CERTS: extraCa, ...userEnv } = process.env;
const env = {
  ...userEnv,
  WARDEN_HOME: home,
  WARDEN_ACCEL: process.env.WARDEN_ACCEL ?? 'tcg',
  WARDEN_IMAGE: built.image.name,
  WARDEN_POOL_SIZE: '1',
};
const daemonDir = path.resolve(process.env.WARM_AB_DAEMON ?? root);
const daemon = spawn(process.execPath, [path.join(daemonDir, 'bin/warden.mjs'), 'daemon'], {
  env,
  stdio: 'ignore',
});
const poolReady = () => warmPoolReady(home, 50);

const rows = new Map<string, { run: number[]; help: number[]; node: number[]; load: number[] }>();
try {
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const venv = v.ca && extraCa ? { ...env, NODE_EXTRA_CA_CERTS: extraCa } : env;
      const bin = path.join(v.dir, 'bin/warden.mjs');
      const row = rows.get(v.name) ?? { run: [], help: [], node: [], load: [] };
      rows.set(v.name, row);
      await poolReady();
      await new Promise((res) => setTimeout(res, Number(process.env.WARM_AB_SETTLE ?? 300))); // WARM_AB_SETTLE: ms after ready
      row.load.push(os.loadavg()[0]!);
      row.run.push(time([bin, 'run', ...runArgs], venv));
      row.help.push(time([bin, 'run', '--help'], venv));
      row.node.push(time(['-e', '0'], venv));
      process.stderr.write(
        `${v.name} #${r}: run ${row.run.at(-1)} ms, run --help ${row.help.at(-1)}, node -e 0 ${row.node.at(-1)}, load ${row.load.at(-1)!.toFixed(2)}\n`,
      );
    }
  }
} finally {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  rmSync(home, { recursive: true, force: true });
}
for (const [name, row] of rows) {
  console.log(
    `${name}: run ${median(row.run)} ms [${row.run.join(' ')}], run --help ${median(row.help)}, node -e 0 ${median(row.node)}, load ${(median(row.load.map((x) => x * 100)) / 100).toFixed(2)}`,
  );
}
