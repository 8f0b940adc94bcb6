// `warden hub export` as an operator runs it: a destination added with the CLI while the hub
// serves in its own process; the hub's background loop sends a synced device's records to an
// OTLP receiver; `export ls` shows lag 0 and the count; a dead endpoint shows its error and
// lag through `export run` (exit 1); `export rm` removes it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { GENESIS_HASH } from '../../supervisor/audit/chain.ts';
import { parseEnrollment } from '../../supervisor/hub-protocol/enrollment.ts';
import { TestDevice } from '../support/hub/device.ts';
import { HubClient } from '../support/hub/hub-client.ts';
import { OtlpReceiver } from '../support/otlp/receiver.ts';
import { tempDir } from '../support/temp-dir.ts';
import { WARDEN_BIN as BIN, runWarden } from '../support/warden-cli.ts';

/** `warden hub ARGS… --home HOME`. */
const warden = (home: string, ...args: string[]) =>
  runWarden(['hub', ...args, '--home', home], process.env, { timeoutMs: 60_000 });

test('warden hub export add, ls, run, rm; the serving hub exports in the background', async (t) => {
  const home = tempDir(t, 'warden-hub-export-');
  const rx = new OtlpReceiver();
  const rxUrl = await rx.listen();
  t.after(() => rx.close());

  const added = await warden(home, 'export', 'add', 'otlp', rxUrl, '--name', 'collector');
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /^added collector: otlp http:\/\/127\.0\.0\.1:\d+\/v1\/logs/);
  const refused = await warden(home, 'export', 'add', 'otlp', 'file:///etc/passwd');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /http\(s\) URL/);

  const child = spawn(process.execPath, [BIN, 'hub', '--listen', '127.0.0.1:0', '--home', home], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
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
  });

  const minted = await warden(home, 'token', 'create', '--expires', '10m');
  const enrollment = parseEnrollment(minted.stdout);
  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  device.append(120);
  const client = new HubClient(url, device.id, device.privateKey);
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
  assert.equal(enrolled.status, 200);
  assert.equal((await client.batch(device.rows())).status, 200);

  for (let i = 0; i < 100 && rx.logs.size < 120; i++) await new Promise((r) => setTimeout(r, 200));
  assert.equal(rx.logs.size, 120, 'the serving hub exported every record');
  assert.equal(rx.duplicates, 0);

  const ls = await warden(home, 'export', 'ls', '--json');
  const [row] = JSON.parse(ls.stdout) as Array<{
    name: string;
    lag: number;
    exported: number;
    lastError: null;
  }>;
  assert.deepEqual([row!.name, row!.lag, row!.exported, row!.lastError], ['collector', 0, 120, null]);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));

  // A dead endpoint: `export run` names the error and keeps the lag.
  assert.equal((await warden(home, 'export', 'rm', 'collector')).code, 0);
  assert.equal((await warden(home, 'export', 'rm', 'collector')).code, 1);
  await warden(home, 'export', 'add', 'otlp', 'http://127.0.0.1:9', '--name', 'dead');
  const ran = await warden(home, 'export', 'run', '--retry-for', '1');
  assert.equal(ran.code, 1);
  assert.match(ran.stdout, /^dead: sent 0; error: .*gave up retrying/);
  const text = await warden(home, 'export', 'ls');
  assert.match(
    text.stdout,
    /^dead {2}otlp http:\/\/127\.0\.0\.1:9\/v1\/logs {2}exported 0 {2}lag 120 .*error: /,
  );
});
