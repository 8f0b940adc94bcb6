// The installer's own logic, with the VM sandbox as the seam (a stand-in that writes what
// npm writes into the shared staging folder). The real install, through a real VM and the
// proxy, is test/agents/real-agents.test.ts.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.ts';
import type { WardenError } from '../api/errors.ts';
import type { CreateVmSandboxRequest, ExecRequest, VmSandboxView } from '../api/index.ts';
import { TaskBoard } from '../tasks/index.ts';
import type { ExecProcess } from '../vm/index.ts';
import { AgentInstaller, type InstallSandboxes, npmInstallArgv } from './installer.ts';
import { AgentStore, META_FILE } from './store.ts';

const INTEGRITY = `sha512-${'A'.repeat(86)}==`;

function fakeVms(write: (ws: string, argv: string[]) => number) {
  const calls: { created: CreateVmSandboxRequest[]; argv: string[][]; removed: string[] } = {
    created: [],
    argv: [],
    removed: [],
  };
  let ws = '';
  const vms: InstallSandboxes = {
    async create(req) {
      calls.created.push(req);
      ws = req.workspace!.path;
      return { sandboxId: `sb${calls.created.length}` } as VmSandboxView;
    },
    exec(_id: string, q: ExecRequest): ExecProcess {
      calls.argv.push(q.argv);
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const code = write(ws, q.argv);
      stdout.end('added 3 packages\n');
      stderr.end(code === 0 ? '' : 'npm error 403 Forbidden - GET https://registry.npmjs.org/x\n');
      return {
        channel: 1,
        stdout,
        stderr,
        started: Promise.resolve(1),
        exited: Promise.resolve({ code, signal: null }),
        write() {},
        end() {},
        kill() {},
        resize() {},
      };
    },
    async remove(id) {
      calls.removed.push(id);
    },
  };
  return { vms, calls };
}

function npmResult(ws: string, pkg: string, version: string): void {
  mkdirSync(path.join(ws, 'node_modules', pkg, 'bin'), { recursive: true });
  writeFileSync(path.join(ws, 'node_modules', pkg, 'bin', 'cli.js'), '#!/usr/bin/env node\n');
  writeFileSync(
    path.join(ws, 'package-lock.json'),
    JSON.stringify({
      lockfileVersion: 3,
      packages: { [`node_modules/${pkg}`]: { version, integrity: INTEGRITY, bin: { tool: 'bin/cli.js' } } },
    }),
  );
  mkdirSync(path.join(ws, '.npm-cache'), { recursive: true });
  writeFileSync(path.join(ws, '.npm-cache', 'entry'), 'cached');
}

test('an install runs npm in a sandbox under the preset, pins the lock’s version and integrity, keeps the cache', async (t) => {
  const home = tempDir(t);
  const store = new AgentStore(path.join(home, 'agents'));
  const cacheDir = path.join(home, 'cache', 'npm');
  const { vms, calls } = fakeVms((ws) => {
    npmResult(ws, '@openai/codex', '0.171.0');
    return 0;
  });
  const installer = new AgentInstaller({ store, vms, cacheDir, log: () => {} });
  const out = await installer.add({ spec: 'codex' }, 'alice');
  assert.equal(out.reused, false);
  assert.deepEqual(
    {
      name: out.agent.name,
      version: out.agent.version,
      integrity: out.agent.integrity,
      bins: out.agent.bins,
    },
    { name: 'codex', version: '0.171.0', integrity: INTEGRITY, bins: ['tool'] },
  );
  assert.equal(
    calls.created[0]!.preset?.source.endsWith('codex.yaml'),
    true,
    'the install runs under the codex preset',
  );
  assert.equal(calls.created[0]!.warm, false);
  assert.deepEqual(
    calls.argv[0],
    npmInstallArgv({ name: 'codex', package: '@openai/codex', preset: 'codex' }),
  );
  assert.deepEqual(calls.removed, ['sb1'], 'the install sandbox is removed');
  const dir = store.versionDir('codex', '0.171.0');
  assert.equal(JSON.parse(readFileSync(path.join(dir, META_FILE), 'utf8')).integrity, INTEGRITY);
  assert.equal(
    readFileSync(path.join(cacheDir, 'entry'), 'utf8'),
    'cached',
    'npm’s cache is kept for the next install',
  );
  assert.deepEqual(store.resolve(['codex'])[0]!.guestBin, '/opt/agents/codex/0.171.0/node_modules/.bin');

  const again = await installer.add({ spec: 'codex' }, 'alice');
  assert.equal(again.reused, true);
  assert.equal(calls.created.length, 1, 'an installed agent is not installed again');
});

test('a failed npm is an AgentInstallFailed with npm’s last lines; nothing is left installed', async (t) => {
  const home = tempDir(t);
  const store = new AgentStore(path.join(home, 'agents'));
  const { vms, calls } = fakeVms(() => 1);
  const installer = new AgentInstaller({ store, vms, cacheDir: path.join(home, 'cache'), log: () => {} });
  await assert.rejects(installer.add({ spec: 'left-pad@1.3.0' }, 'alice'), (e: Error) => {
    assert.equal(e.name, 'AgentInstallFailed');
    assert.match(e.message, /npm install left-pad@1\.3\.0 failed in sandbox sb1 \(exit 1\)/);
    assert.match(e.message, /403 Forbidden/);
    return true;
  });
  assert.deepEqual(calls.removed, ['sb1']);
  assert.deepEqual(store.list(), []);
});

test('the size of an install counts a hard-linked file once, as du does', async (t) => {
  const { linkSync } = await import('node:fs');
  const { treeBytes } = await import('./store.ts');
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'native'), Buffer.alloc(1 << 20, 1));
  const one = treeBytes(dir);
  linkSync(path.join(dir, 'native'), path.join(dir, 'claude.exe'));
  assert.equal(treeBytes(dir), one);
});

test('an install is a task: its steps, a cancel while npm runs kills npm, removes the sandbox, keeps the cache', async (t) => {
  const home = tempDir(t);
  const store = new AgentStore(path.join(home, 'agents'));
  const cacheDir = path.join(home, 'cache', 'npm');
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(path.join(cacheDir, 'entry'), 'cached before');
  const board = new TaskBoard();
  const killed: string[] = [];
  let resolveExit!: (v: { code: number | null; signal: string | null }) => void;
  const base = fakeVms(() => 0).vms;
  const removed: string[] = [];
  const vms: InstallSandboxes = {
    create: base.create,
    async remove(id) {
      removed.push(id);
    },
    exec(): ExecProcess {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      return {
        channel: 1,
        stdout,
        stderr,
        started: Promise.resolve(1),
        exited: new Promise((r) => {
          resolveExit = r;
        }),
        write() {},
        end() {},
        kill(signal: string) {
          killed.push(signal);
          stdout.end();
          stderr.end();
          resolveExit({ code: null, signal });
        },
        resize() {},
      };
    },
  };
  const installer = new AgentInstaller({ store, vms, cacheDir, log: () => {}, tasks: board });
  const run = installer.add({ spec: 'codex' }, 'alice').then(
    () => undefined,
    (e: unknown) => e,
  );
  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(ok(), what);
  };
  await until('npm runs', () => killed.length === 0 && board.list()[0]?.sandboxId === 'sb1');
  const [task] = board.list();
  assert.equal(task!.title, 'Installing codex');
  assert.equal(task!.user, 'alice');
  board.cancel(task!.id);
  const error = (await run) as WardenError;
  assert.equal(error.name, 'Cancelled');
  assert.deepEqual(killed, ['KILL']);
  assert.deepEqual(removed, ['sb1']);
  assert.equal(board.list()[0]!.state, 'cancelled');
  assert.equal(store.list().length, 0, 'nothing stored');
  assert.equal(readFileSync(path.join(cacheDir, 'entry'), 'utf8'), 'cached before', 'npm’s cache is kept');
  assert.deepEqual(
    readdirSync(store.dir).filter((n) => n.startsWith('.staging-')),
    [],
    'no staging folder is left',
  );
});

test('a cancel while waiting for another install ends it at once; the queue still waits', async (t) => {
  const home = tempDir(t);
  const store = new AgentStore(path.join(home, 'agents'));
  const board = new TaskBoard();
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  const { vms, calls } = fakeVms((ws) => {
    npmResult(ws, '@openai/codex', '0.171.0');
    return 0;
  });
  const slow: InstallSandboxes = {
    ...vms,
    async create(req, user) {
      await held;
      return vms.create(req, user);
    },
  };
  const installer = new AgentInstaller({
    store,
    vms: slow,
    cacheDir: path.join(home, 'c'),
    log: () => {},
    tasks: board,
  });
  const first = installer.add({ spec: 'codex' }, 'alice');
  const second = installer.add({ spec: 'claude-code' }, 'alice').then(
    () => undefined,
    (e: unknown) => e,
  );
  await new Promise((r) => setTimeout(r, 20));
  const waiting = board.list().find((t) => t.title === 'Installing claude-code')!;
  assert.equal(waiting.step, 'waiting for another install to end');
  board.cancel(waiting.id);
  assert.equal(((await second) as WardenError).name, 'Cancelled');
  assert.equal(calls.created.length, 0, 'the first is still held');
  release();
  assert.equal((await first).agent.version, '0.171.0');
  assert.equal(calls.created.length, 1, 'the cancelled one never started a sandbox');
});
