// `npm start`: the Electron app when Electron's binary exists and runs; otherwise (as on
// machines where it cannot be downloaded) say so and fall back to browser mode: `warden ui`
// starts the daemon if needed and prints/opens the URL, then this keeps following the
// daemon's log until Ctrl-C. Quitting either way leaves the daemon (and agents) running.

import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, statSync, watchFile } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const mainBundle = path.join(root, 'dist/main/index.cjs');

/** The Electron binary's path, or why it cannot be used. */
export function findElectron() {
  let binary;
  try {
    binary = require('electron'); // the npm package exports the binary's path
  } catch (error) {
    return { ok: false, reason: `the electron package has no binary (${error.message.split('\n')[0]})` };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return { ok: false, reason: `no file at ${binary}` };
  const probe = spawnSync(binary, ['--version'], {
    timeout: 15_000,
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  if (probe.status !== 0) {
    return {
      ok: false,
      reason: `${binary} does not run (${probe.error?.message ?? `exit ${probe.status}`})`,
    };
  }
  return { ok: true, binary, version: probe.stdout.trim() };
}

function ensureBuilt() {
  if (existsSync(mainBundle) && existsSync(path.join(root, 'dist/warden.mjs'))) return;
  const built = spawnSync(process.execPath, [path.join(root, 'build/bundle.mjs')], {
    stdio: 'inherit',
    cwd: root,
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

function runElectron(binary) {
  const child = spawn(binary, [mainBundle], { stdio: 'inherit', cwd: root });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function daemonLogPath() {
  const { tsImport } = await import('tsx/esm/api');
  const { defaultHome, wardenPaths } = await tsImport('../supervisor/home/paths.ts', import.meta.url);
  return wardenPaths(defaultHome()).daemonLog;
}

/** Print what is appended to `file` from now on (polling, so it survives rotation and late creation). */
function follow(file) {
  let offset = existsSync(file) ? statSync(file).size : 0;
  const read = () => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size < offset) offset = 0;
    if (size === offset) return;
    const from = offset;
    offset = size;
    createReadStream(file, { start: from, end: size - 1 }).pipe(process.stdout, { end: false });
  };
  watchFile(file, { interval: 500 }, read);
}

async function browserMode(reason) {
  console.log(`Electron cannot run on this machine: ${reason}.`);
  console.log('Falling back to browser mode (the same UI, served by the daemon on a loopback port).\n');
  const ui = spawnSync(process.execPath, [path.join(root, 'bin/warden.mjs'), 'ui'], {
    stdio: 'inherit',
    cwd: root,
  });
  if (ui.status !== 0) {
    console.error(`\n\`warden ui\` failed (exit ${ui.status}); see the message above.`);
    process.exit(ui.status ?? 1);
  }
  const log = await daemonLogPath();
  console.log(`\nFollowing the daemon log (${log}).`);
  console.log(
    `Ctrl-C stops following; the daemon keeps running (its pid is in ${path.join(path.dirname(log), 'daemon.pid')}).\n`,
  );
  follow(log);
  process.on('SIGINT', () => {
    console.log('\nStopped following the log. The daemon is still running.');
    process.exit(0);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureBuilt();
  const electron = process.env.WARDEN_NO_ELECTRON
    ? { ok: false, reason: 'WARDEN_NO_ELECTRON is set' }
    : findElectron();
  if (electron.ok) {
    console.log(`Starting the Warden desktop app (Electron ${electron.version}).`);
    runElectron(electron.binary);
  } else {
    await browserMode(electron.reason);
  }
}
