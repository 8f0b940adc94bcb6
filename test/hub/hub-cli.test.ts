// `warden hub` as an operator runs it: the server in its own process, a token minted by the
// CLI and used by a device, devices listed and revoked, the hub's verify clean and then
// naming a row edited in its database (exit 1).

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { GENESIS_HASH } from '../../supervisor/audit/chain.ts';
import { parseEnrollment } from '../../supervisor/hub-protocol/enrollment.ts';
import { TestDevice } from '../support/hub/device.ts';
import { HubClient } from '../support/hub/hub-client.ts';
import { tempDir } from '../support/temp-dir.ts';
import { WARDEN_BIN as BIN, runWarden } from '../support/warden-cli.ts';

/** `warden ARGS…` with the hub's state folder in WARDEN_HUB_HOME. */
const warden = (home: string, ...args: string[]) =>
  runWarden(args, { ...process.env, WARDEN_HUB_HOME: home }, { timeoutMs: 60_000 });

async function startServe(home: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'hub', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, WARDEN_HUB_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', (code) => reject(new Error(`hub exited ${code}: ${out}`)));
  });
  return { child, url };
}

test('warden hub: serve, token create, device ls and revoke, verify', async (t) => {
  const home = tempDir(t, 'warden-hub-cli-');
  const { child, url } = await startServe(home);
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  const minted = await warden(home, 'hub', 'token', 'create', '--expires', '10m');
  assert.equal(minted.code, 0, minted.stderr);
  const enrollment = parseEnrollment(minted.stdout);
  assert.equal(enrollment.url, url);
  assert.match(minted.stderr, /one use; expires/);

  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  device.append(50);
  const client = new HubClient(enrollment.url, device.id, device.privateKey);
  const enrolled = await client.enroll({
    token: enrollment.token,
    publicKey: device.publicKey.toString('base64'),
    user: 'alice',
    machine: 'devbox',
    os: 'Linux',
    wardenVersion: '0.1.0',
    head: device.head(),
    start: { seq: 1, prevHash: GENESIS_HASH },
  });
  assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
  assert.equal((enrolled.body as { hubKey: string }).hubKey, enrollment.hubKey);
  assert.equal((await client.batch(device.rows())).status, 200);

  const ls = await warden(home, 'hub', 'device', 'ls');
  assert.match(
    ls.stdout,
    new RegExp(`${device.id} +active +alice@devbox \\(Linux, Warden 0\\.1\\.0\\) +head 50`),
  );
  const verified = await warden(home, 'hub', 'verify');
  assert.equal(verified.code, 0);
  assert.match(verified.stdout, /^ok: 50 records of 1 devices, 1 log leaves/);

  const revoked = await warden(home, 'hub', 'device', 'revoke', device.id);
  assert.match(revoked.stdout, /^revoked/);
  const refused = await client.heartbeat(device.head());
  assert.equal(refused.status, 401);
  assert.equal((refused.body as { error: { name: string } }).error.name, 'DeviceRevoked');
  assert.equal((await warden(home, 'hub', 'device', 'revoke', 'f'.repeat(32))).code, 1);

  const db = new Database(`${home}/hub.db`);
  db.prepare("UPDATE records SET body = replace(body, 'GET', 'PUT') WHERE seq = 17").run();
  db.close();
  const broken = await warden(home, 'hub', 'verify');
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, new RegExp(`device ${device.id} seq 17: record 17 does not match its hash`));

  child.kill('SIGTERM');
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
});

test('warden hub refuses plain HTTP off loopback and a mismatched hub key', async (t) => {
  const home = tempDir(t, 'warden-hub-cli-');
  const open = await warden(home, 'hub', '--listen', '0.0.0.0:0');
  assert.equal(open.code, 4);
  assert.match(open.stderr, /refusing to serve plain HTTP on 0\.0\.0\.0/);
  // Another state folder (another key) on the same database: refused, the log keeps one signer.
  const other = tempDir(t, 'warden-hub-cli-');
  const db = `sqlite:${home}/hub.db`;
  assert.equal((await warden(home, 'hub', 'verify', '--db', db)).code, 0);
  const clash = await warden(other, 'hub', 'verify', '--db', db);
  assert.equal(clash.code, 4);
  assert.match(clash.stderr, /holds the log of hub key .* not this hub's key/);
  const bad = await warden(home, 'hub', 'token', 'create', '--expires', 'soon');
  assert.equal(bad.code, 2);
  // Retention by month partitions: a whole number of months, and only on PostgreSQL.
  const months = await warden(home, 'hub', '--listen', '127.0.0.1:0', '--retain-months', '0');
  assert.equal(months.code, 2);
  assert.match(months.stderr, /--retain-months takes a whole number of months/);
  // Refused before the port opens: the hub exits at once (it used to keep serving until killed).
  const sqlite = await warden(home, 'hub', '--listen', '127.0.0.1:0', '--retain-months', '12');
  assert.equal(sqlite.code, 4);
  assert.match(sqlite.stderr, /retention by month partitions needs the PostgreSQL store/);
});
