// `warden run` and signals, with a real daemon on the fake VM driver and the CLI (Node, and compiled) in
// its own process: a forwarded SIGTERM the command ignores ends the run after the grace
// period (so `timeout` works) with no sandbox left; a second SIGINT stops at once; a
// command that obeys the signal ends with its own 128+n. `warden proxy -- CMD` (host mode)
// kills a host command that ignores the signal the same way.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { type FakeExec, FakeVmDriver, fakeImage } from '../support/fake-vm-driver.ts';
import { tempDir } from '../support/temp-dir.ts';
import { nativeRunMissing, WARDEN_COMMAND } from '../support/warden-cli.ts';

const BIN = fileURLToPath(new URL('../../bin/warden.mjs', import.meta.url));
const TRAP = ['sh', '-c', 'trap "" TERM INT; sleep 600'];
const driver = new FakeVmDriver();
let d: TestDaemon;

before(async () => {
  // The guest command ignores TERM and INT when it is the trap script, and obeys otherwise.
  driver.exec = (argv, _opts, vm) => {
    if (argv.join(' ') === TRAP.join(' ')) vm.execs.at(-1)!.ignore('SIGTERM', 'SIGINT');
    return 'hang';
  };
  d = await startTestDaemon({ daemon: { vmDriver: driver, poolSize: 0 } });
  fakeImage(d.daemon.images.dir);
});
after(async () => {
  await d.stop();
  assert.deepEqual(driver.live(), [], 'no VM outlives the daemon');
});

interface Run {
  code: number | null;
  stderr: string;
  ms: number;
  kill: (signal: NodeJS.Signals) => void;
  done: Promise<void>;
}

/** The Node CLI, and the `warden` command as installed (the compiled client, where built). */
const ENTRIES = [
  { name: 'node bin/warden.mjs', argv: [process.execPath, BIN], skip: undefined as string | undefined },
  { name: 'bin/warden (compiled)', argv: [WARDEN_COMMAND], skip: nativeRunMissing() },
];

function run(entry: string[], prefix: string[], args: string[]): Run {
  const t0 = Date.now();
  const argv = [...prefix, ...entry, 'run', '--image', 'minimal', '--no-tty', ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { ...process.env, WARDEN_HOME: d.home },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const r: Run = {
    code: null,
    stderr: '',
    ms: 0,
    kill: (signal) => child.kill(signal),
    done: new Promise((resolve) => {
      child.on('close', (code, signal) => {
        r.code = code ?? (signal ? -1 : null);
        r.ms = Date.now() - t0;
        resolve();
      });
    }),
  };
  child.stderr.on('data', (c: Buffer) => {
    r.stderr += c.toString();
  });
  // Bounded: no run outlives its test.
  const guard = setTimeout(() => child.kill('SIGKILL'), 40_000);
  r.done.then(() => clearTimeout(guard));
  return r;
}

/** The guest command of the run's sandbox (the VM after the `before` first) once it started. */
async function guestCommand(before: number): Promise<FakeExec> {
  return until(
    'the guest command',
    () => driver.vms[before]?.execs.find((e) => e.argv[0] === 'sh' || e.argv[0] === 'true'),
    20_000,
  );
}

async function noVmSandboxLeft(): Promise<void> {
  await until(
    'no sandbox left',
    async () => (await d.client.call('GET /v1/sandboxes')).every((s) => s.kind !== 'vm'),
    5_000,
  );
  assert.deepEqual(driver.live(), []);
}

for (const entry of ENTRIES) {
  test(`${entry.name}: timeout 5 warden run -- a command that ignores TERM: exit 124 after the grace period, no sandbox`, {
    skip: entry.skip,
  }, async () => {
    const before = driver.vms.length;
    const r = run(entry.argv, ['timeout', '5'], ['--stop-timeout', '2', '--', ...TRAP]);
    const guest = await guestCommand(before);
    await r.done;
    assert.equal(r.code, 124, r.stderr);
    assert.ok(r.ms >= 5_000 && r.ms < 5_000 + 2_000 + 5_000, `ended after ${r.ms} ms`);
    assert.deepEqual(guest.signals, ['SIGTERM', 'SIGKILL'], 'forwarded, then killed');
    assert.match(r.stderr, /did not exit within 2 s of SIGTERM \(--stop-timeout\): stopping it/);
    await noVmSandboxLeft();
  });

  test(`${entry.name}: a second Ctrl-C stops at once, with 130`, { skip: entry.skip }, async () => {
    const before = driver.vms.length;
    const r = run(entry.argv, [], ['--', ...TRAP]);
    const guest = await guestCommand(before);
    r.kill('SIGINT');
    await until('SIGINT forwarded', () => guest.signals.includes('SIGINT'), 10_000);
    // A second Ctrl-C comes a moment later (one within REPEAT_WINDOW_MS is the same delivery).
    await new Promise((r) => setTimeout(r, 500));
    const second = Date.now();
    r.kill('SIGINT');
    await r.done;
    assert.equal(r.code, 130, r.stderr);
    assert.ok(Date.now() - second < 8_000, 'well within the 10 s grace period');
    assert.match(r.stderr, /SIGINT again and the command is still running: stopping it/);
    await noVmSandboxLeft();
  });

  test(`${entry.name}: a command that obeys the forwarded SIGTERM ends the run with 143 at once`, {
    skip: entry.skip,
  }, async () => {
    const before = driver.vms.length;
    const r = run(entry.argv, [], ['--', 'true', 'obeys']);
    const guest = await guestCommand(before);
    r.kill('SIGTERM');
    await r.done;
    assert.equal(r.code, 143, r.stderr);
    assert.deepEqual(guest.signals, ['SIGTERM']);
    assert.ok(r.ms < 10_000);
    await noVmSandboxLeft();
  });
}

test('timeout 3 warden proxy -- a host command ignoring TERM is killed after the grace period', async (t) => {
  const pidFile = path.join(tempDir(t), 'pid');
  const script = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`;
  const t0 = Date.now();
  const cli = spawn(
    'timeout',
    [
      '3',
      process.execPath,
      BIN,
      'proxy',
      '--label',
      'trap-host',
      '--stop-timeout',
      '1',
      '--',
      process.execPath,
      '-e',
      script,
    ],
    { env: { ...process.env, WARDEN_HOME: d.home }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  cli.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const guard = setTimeout(() => cli.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => cli.once('close', resolve));
  clearTimeout(guard);
  assert.equal(code, 124, stderr);
  assert.ok(Date.now() - t0 < 3_000 + 1_000 + 5_000, `ended after ${Date.now() - t0} ms`);
  assert.match(stderr, /did not exit within 1 s of SIGTERM \(--stop-timeout\): killing it/);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  await until('the host command to be gone', () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
  const left = (await d.client.call('GET /v1/sandboxes')).filter((s) => s.label === 'trap-host');
  assert.deepEqual(left, [], 'its listener is removed');
});
