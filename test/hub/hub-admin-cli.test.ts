// `warden hub admin create NAME` as an operator runs it: the password read from stdin (never
// argv), a short one refused, and the running `warden hub` signing that admin in.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import { AdminClient } from '../support/hub/admin.ts';
import { tempDir } from '../support/temp-dir.ts';

const BIN = fileURLToPath(new URL('../../bin/warden.mjs', import.meta.url));
const PASSWORD = 'a long enough passphrase';

function adminCreate(
  home: string,
  name: string,
  stdin: string,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'hub', 'admin', 'create', name], {
      env: { ...process.env, WARDEN_HUB_HOME: home },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
    child.stdin.end(`${stdin}\n`);
  });
}

test('warden hub admin create: password from stdin; the hub signs the admin in', async (t) => {
  const home = tempDir(t, 'warden-hub-admin-');
  const short = await adminCreate(home, 'ops', 'short');
  assert.notEqual(short.code, 0);
  assert.match(short.out, /shorter than 12/);
  const made = await adminCreate(home, 'ops', PASSWORD);
  assert.equal(made.code, 0, made.out);
  assert.ok(!made.out.includes(PASSWORD));

  const child = spawn(process.execPath, [BIN, 'hub', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, WARDEN_HUB_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${out}`)), 60_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.stderr.on('data', (c: Buffer) => (out += c));
    child.once('exit', (code) => reject(new Error(`hub exited ${code}: ${out}`)));
  });
  const c = new AdminClient(url);
  assert.equal((await c.signIn('ops', 'a wrong passphrase')).status, 401);
  assert.equal((await c.signIn('ops', PASSWORD)).status, 200);
  const devices = await c.call('GET', HUB_ADMIN_PATHS.devices);
  assert.equal(devices.status, 200);
  assert.deepEqual(devices.body, []);
  const actions = (await c.call('GET', HUB_ADMIN_PATHS.actions)).body as Array<{
    admin: string;
    action: string;
  }>;
  assert.deepEqual(actions.map((a) => `${a.admin} ${a.action}`).reverse(), [
    'cli admin.create',
    'ops sign-in.failed',
    'ops sign-in',
  ]);
});
