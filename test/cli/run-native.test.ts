// The compiled `warden run` (dist/warden-run, run through bin/warden as npm installs it) with a
// real daemon on the fake VM driver: it runs commands as the Node CLI does (output, stdin,
// exit code, help), with no Node on PATH at all; what it leaves to the Node CLI is handed over
// with the same arguments, exit code and signals; and a hostile working directory's .env and
// bunfig.toml are not read.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { FakeVmDriver, fakeImage } from '../support/fake-vm-driver.ts';
import { makeTempDir, type TempDir } from '../support/temp-dir.ts';
import { collect, nativeRunMissing, WARDEN_BIN, WARDEN_COMMAND } from '../support/warden-cli.ts';

/** Runs `argv` for 30 s at most. */
const run = (argv: string[], env: NodeJS.ProcessEnv, opts: Parameters<typeof collect>[2] = {}) =>
  collect(argv, env, { timeoutMs: 30_000, ...opts });

const skip = nativeRunMissing();

describe('the compiled warden run', { skip }, () => {
  const driver = new FakeVmDriver();
  let d: TestDaemon;
  let tmp: TempDir;
  /** A PATH with the tools bin/warden needs and no node. */
  let noNodePath: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    driver.exec = (argv, opts, vm) => {
      if (argv[0] === 'cat') {
        // Echoes its stdin once it ends, as cat does.
        const proc = vm.execs.at(-1)!;
        void until('stdin to end', () => proc.stdinEnded, 20_000).then(() => {
          proc.out(Buffer.concat(proc.stdin).toString());
          proc.exit(0);
        });
        return 'hang';
      }
      if (argv[0] === 'sh') return { stdout: 'out\n', stderr: 'err\n', code: 3 };
      if (argv[0] === 'tty-check') {
        // Says the PTY's size, then exits once a key arrives (only a raw terminal sends it alone).
        const proc = vm.execs.at(-1)!;
        proc.out(`pty ${opts.pty?.rows}x${opts.pty?.cols}\r\n`);
        void until('a key', () => proc.stdin.length > 0, 20_000).then(() => {
          proc.out(`got ${Buffer.concat(proc.stdin).toString()}\r\n`);
          proc.exit(0);
        });
        return 'hang';
      }
      return { code: 0 };
    };
    d = await startTestDaemon({ daemon: { vmDriver: driver, poolSize: 0 } });
    fakeImage(d.daemon.images.dir);
    tmp = makeTempDir('warden-native-');
    noNodePath = path.join(tmp.dir, 'bin');
    mkdirSync(noNodePath);
    symlinkSync('/usr/bin/readlink', path.join(noNodePath, 'readlink'));
    env = { ...process.env, WARDEN_HOME: d.home, WARDEN_IMAGE: 'minimal', PATH: noNodePath };
  });
  after(async () => {
    await d.stop();
    tmp.dispose();
  });

  test('runs a command with no node on PATH: output, stderr, exit code and stdin pass through', async () => {
    assert.equal((await run([WARDEN_COMMAND, 'status'], env)).code, 127, 'node is not on this PATH');
    const forced = await run([WARDEN_COMMAND, 'run', '--', 'true'], { ...env, WARDEN_RUN_NODE: '1' });
    assert.equal(forced.code, 127, 'WARDEN_RUN_NODE=1 runs the Node CLI');
    const r = await run([WARDEN_COMMAND, 'run', '--no-tty', '--', 'sh', '-c', 'exit 3'], env);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const cat = await run([WARDEN_COMMAND, 'run', '--no-tty', '--', 'cat'], env, {
      input: 'through stdin\n',
    });
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, 'through stdin\n');
    assert.equal(driver.live().length, 0, 'each sandbox is removed after its command');
  });

  test('its help and usage errors are the Node CLI’s, byte for byte', async () => {
    const full = { ...process.env, WARDEN_HOME: d.home };
    for (const args of [['run', '--help'], ['run', '--cpus', '0', '--', 'true'], ['run']]) {
      const { ms: _a, ...native } = await run([WARDEN_COMMAND, ...args], full);
      const { ms: _b, ...node } = await run([process.execPath, WARDEN_BIN, ...args], full);
      assert.deepEqual(native, node, args.join(' '));
    }
  });

  test('a working directory’s .env and bunfig.toml are not read', async () => {
    const cwd = path.join(tmp.dir, 'hostile');
    mkdirSync(cwd);
    const marker = path.join(tmp.dir, 'preloaded');
    writeFileSync(path.join(cwd, '.env'), 'WARDEN_IMAGE=minimal\n');
    writeFileSync(path.join(cwd, 'bunfig.toml'), 'preload = ["./evil.js"]\n');
    writeFileSync(
      path.join(cwd, 'evil.js'),
      `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`,
    );
    // Without WARDEN_IMAGE the run wants the full image, which this daemon lacks: building it
    // is the Node CLI's (absent here). Had the .env been read, the run would have gone ahead.
    const { WARDEN_IMAGE: _image, ...noImage } = env;
    const before = driver.vms.length;
    const r = await run([WARDEN_COMMAND, 'run', '--no-tty', '--', 'true'], noImage, { cwd });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /cannot start node to build the full image/);
    assert.equal(driver.vms.length, before, 'no sandbox was made');
    assert.equal(existsSync(marker), false, 'bunfig.toml’s preload did not run');
  });

  test('on a terminal, as the Node CLI: the PTY’s size, raw keys, the terminal restored after', async () => {
    const full = { ...process.env, WARDEN_HOME: d.home, WARDEN_IMAGE: 'minimal' };
    for (const entry of [[WARDEN_COMMAND], [process.execPath, WARDEN_BIN]]) {
      const cmd = [...entry, 'run', '--', 'tty-check'].map((a) => `'${a}'`).join(' ');
      const shell = `stty rows 30 cols 100; a=$(stty -g); ${cmd}; code=$?; [ "$a" = "$(stty -g)" ] && echo restored; exit $code`;
      const before = driver.vms.length;
      const ran = run(['script', '-qec', shell, '/dev/null'], full, { keepStdin: true });
      await until('the command', () => driver.vms[before]?.execs.length, 20_000).catch((e) => {
        ran.kill('SIGKILL');
        throw e;
      });
      ran.write('q');
      const r = await ran;
      assert.equal(r.code, 0, `${entry.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /pty 30x100\r/, entry.join(' '));
      assert.match(r.stdout, /got q\r/, entry.join(' '));
      assert.match(r.stdout, /restored/, entry.join(' '));
    }
  });

  describe('handing over to the Node CLI', () => {
    let fakeNode: string;
    let args: string;
    let got: string;

    before(() => {
      // A `node` that records its arguments and the signals it gets, and exits as told.
      const dir = path.join(tmp.dir, 'fake-node');
      mkdirSync(dir);
      args = path.join(dir, 'args');
      got = path.join(dir, 'got');
      fakeNode = path.join(dir, 'node');
      writeFileSync(
        fakeNode,
        `#!/bin/sh\ntrap 'echo TERM > ${got}; exit 143' TERM\nprintf '%s\\n' "$@" > ${args}.part && mv ${args}.part ${args}\n` +
          `[ -n "$FAKE_NODE_WAIT" ] && { while :; do sleep 0.05; done; }\nexit "\${FAKE_NODE_EXIT:-0}"\n`,
      );
      chmodSync(fakeNode, 0o755);
      symlinkSync('/usr/bin/readlink', path.join(dir, 'readlink'));
      for (const tool of ['sleep', 'printf', 'mv'])
        if (existsSync(`/usr/bin/${tool}`)) symlinkSync(`/usr/bin/${tool}`, path.join(dir, tool));
    });

    const noDaemon = () => ({
      ...env,
      WARDEN_HOME: path.join(tmp.dir, 'no-daemon'),
      PATH: path.dirname(fakeNode),
    });

    test('with no daemon running, the same arguments go to bin/warden.mjs, its exit code is ours', async () => {
      rmSync(args, { force: true });
      const r = await run([WARDEN_COMMAND, 'run', '--label', 'a b', '--', 'echo', '*'], {
        ...noDaemon(),
        FAKE_NODE_EXIT: '7',
      });
      assert.equal(r.code, 7, r.stderr);
      assert.deepEqual(readFileSync(args, 'utf8').trimEnd().split('\n'), [
        WARDEN_BIN,
        'run',
        '--label',
        'a b',
        '--',
        'echo',
        '*',
      ]);
    });

    test('a token but nothing answering on the socket (a daemon that died) hands over too', async () => {
      rmSync(args, { force: true });
      const home = path.join(tmp.dir, 'dead-daemon');
      mkdirSync(home, { mode: 0o700 });
      writeFileSync(path.join(home, 'token'), 'a'.repeat(64), { mode: 0o600 });
      writeFileSync(path.join(home, 'warden.sock'), ''); // a stale path, no listener
      const r = await run([WARDEN_COMMAND, 'run', '--', 'true'], { ...noDaemon(), WARDEN_HOME: home });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(args, 'utf8').split('\n')[1], 'run');
    });

    test('a SIGTERM sent to warden reaches the Node CLI, whose signal exit is ours', async () => {
      rmSync(args, { force: true });
      const ran = run([WARDEN_COMMAND, 'run', '--', 'true'], { ...noDaemon(), FAKE_NODE_WAIT: '1' });
      await until('the Node CLI to start', () => existsSync(args), 10_000);
      ran.kill('SIGTERM');
      const r = await ran;
      assert.equal(r.code, 143, r.stderr);
      assert.equal(readFileSync(got, 'utf8').trim(), 'TERM');
    });

    test('with no node at all, a clear error and exit 4', async () => {
      const r = await run([WARDEN_COMMAND, 'run', '--', 'true'], { ...noDaemon(), PATH: noNodePath });
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /warden: cannot start node to start the daemon/);
      assert.match(r.stderr, /Node\.js 20 or later must be on PATH/);
    });
  });
});
