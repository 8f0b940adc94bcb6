// `warden hub device rotate ID` as an operator runs it, against a hub serving in its own
// process: the device's next heartbeat answer asks for a new key, the device registers one
// signed by the old key, and from then on the old key is refused. An unknown id exits 1.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import { HUB_PATHS, type HubHeartbeatResponse } from '../../supervisor/api/hub.ts';
import { GENESIS_HASH } from '../../supervisor/audit/chain.ts';
import { parseEnrollment } from '../../supervisor/hub-protocol/enrollment.ts';
import { rotationMessage } from '../../supervisor/hub-protocol/rotation.ts';
import { rawPublicKey } from '../../supervisor/tlog/note.ts';
import { TestDevice } from '../support/hub/device.ts';
import { HubClient } from '../support/hub/hub-client.ts';
import { tempDir } from '../support/temp-dir.ts';
import { WARDEN_BIN as BIN, runWarden } from '../support/warden-cli.ts';

/** `warden ARGS…` with the hub's state folder in WARDEN_HUB_HOME. */
const warden = (home: string, ...args: string[]) =>
  runWarden(args, { ...process.env, WARDEN_HUB_HOME: home }, { timeoutMs: 60_000 });

test('warden hub device rotate ID: the device rotates at its next heartbeat', async (t) => {
  const home = tempDir(t, 'warden-hub-rotate-');
  const child = spawn(process.execPath, [BIN, 'hub', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, WARDEN_HUB_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (/listening on/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`hub exited ${code}: ${out}`)));
  });
  const enrollment = parseEnrollment((await warden(home, 'hub', 'token', 'create')).stdout);
  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  device.append(5);
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

  assert.equal((await warden(home, 'hub', 'device', 'rotate', 'f'.repeat(32))).code, 1);
  const asked = await warden(home, 'hub', 'device', 'rotate', device.id);
  assert.equal(asked.code, 0, asked.stderr);
  assert.match(asked.stdout, /next heartbeat/);
  const beat = (await client.heartbeat(device.head(), 0)).body as HubHeartbeatResponse;
  assert.equal(beat.rotate, true);
  const { privateKey } = generateKeyPairSync('ed25519');
  const publicKey = rawPublicKey(privateKey).toString('base64');
  const proof = sign(null, rotationMessage(device.id, publicKey), privateKey).toString('base64');
  assert.equal((await client.json(HUB_PATHS.rotate, { publicKey, proof })).status, 200);
  assert.equal((await client.heartbeat(device.head(), 0)).status, 401, 'the old key is refused');
  const rotated = new HubClient(enrollment.url, device.id, privateKey);
  assert.equal((await rotated.heartbeat(device.head(), 0)).status, 200);
});
