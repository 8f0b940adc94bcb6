import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { launchDaemon } from './launch-daemon.ts';

const linux = process.platform === 'linux';

/** A stand-in for bin/warden.mjs: reports its argv, process group and WARDEN_HOME, then exits. */
const FAKE_BIN = `
import { readFileSync } from 'node:fs';
const stat = readFileSync('/proc/self/stat', 'utf8');
const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
process.stdout.write(JSON.stringify({ argv: process.argv.slice(2), pid: process.pid, pgrp, home: process.env.WARDEN_HOME, extra: process.env.WARDEN_TEST_EXTRA }) + '\\n');
process.stderr.write('to stderr\\n');
`;

async function setUp(t: TestContext): Promise<{ home: string; daemonLog: string; binPath: string }> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'warden-launch-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const binPath = path.join(home, 'fake-warden.mjs');
  await writeFile(binPath, FAKE_BIN);
  return { home, daemonLog: path.join(home, 'daemon.log'), binPath };
}

/** The paths this process has open, read from /proc/self/fd. */
async function openFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    try {
      out.push(await readlink(`/proc/self/fd/${fd}`));
    } catch {} // the fd of readdir itself is gone by now
  }
  return out;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the launched process did not exit within 10 s')),
      10_000,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test('the parent keeps no descriptor of the daemon log after the launch', { skip: !linux }, async (t) => {
  const { home, daemonLog, binPath } = await setUp(t);
  const child = launchDaemon({ home, daemonLog }, { execPath: process.execPath, binPath });
  const open = await openFiles();
  assert.deepEqual(
    open.filter((f) => f === daemonLog),
    [],
    'the log is still open in the parent',
  );
  assert.equal(await exited(child), 0);
});

test('the daemon runs detached, with WARDEN_HOME, and appends stdout and stderr to the log', {
  skip: !linux,
}, async (t) => {
  const { home, daemonLog, binPath } = await setUp(t);
  await writeFile(daemonLog, 'an earlier line\n');
  const child = launchDaemon(
    { home, daemonLog },
    { execPath: process.execPath, binPath, env: { WARDEN_TEST_EXTRA: 'yes', WARDEN_HOME: '/elsewhere' } },
  );
  assert.equal(await exited(child), 0);
  const lines = (await readFile(daemonLog, 'utf8')).trimEnd().split('\n');
  assert.equal(lines[0], 'an earlier line');
  const report = JSON.parse(lines.find((l) => l.startsWith('{'))!) as Record<string, unknown>;
  assert.deepEqual(report.argv, ['daemon']);
  assert.equal(report.pgrp, report.pid, 'not in its own process group');
  assert.equal(report.home, home);
  assert.equal(report.extra, 'yes');
  assert.ok(lines.includes('to stderr'));
});
