// The hub from the attacker's side, over HTTP: forged, replayed, stale, unsigned or moved
// signatures; bodies changed in transit; oversized bodies and gzip bombs; malformed batches;
// spent, expired and unknown tokens; a key that is not the one registered; a busy hub; and
// plain HTTP off loopback. Each is refused with its name and changes nothing.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { HUB_PATHS } from '../../supervisor/api/hub.ts';
import { GENESIS_HASH, rowHash } from '../../supervisor/audit/chain.ts';
import { HubServer } from '../../supervisor/hub/http-server.ts';
import { encodeBatch } from '../../supervisor/hub-protocol/batch.ts';
import { signRequest } from '../../supervisor/hub-protocol/signature.ts';
import { syntheticChain, TestDevice } from '../support/hub/device.ts';
import { startTestHub, storeKinds } from '../support/hub/hub.ts';
import { HubClient, type HubReply } from '../support/hub/hub-client.ts';
import { tempDir } from '../support/temp-dir.ts';

type ErrorBody = { error: { name: string; message: string; hint?: string } };

function refused(reply: HubReply, status: number, name: string, pattern: RegExp): void {
  const body = reply.body as ErrorBody;
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(body.error.name, name);
  assert.match(body.error.message, pattern);
}

for (const kind of storeKinds()) {
  test(`${kind}: forged, replayed, stale, unsigned and moved signatures are refused`, async (t) => {
    const hub = await startTestHub(t, kind);
    const device = new TestDevice(tempDir(t));
    t.after(() => device.close());
    device.append(5);
    const client = await hub.enroll(device);
    const body = Buffer.from(JSON.stringify({ head: device.head(), backlog: 0, time: Date.now() }));
    const post = (over: Pick<Parameters<HubClient['raw']>[0], 'sign'>) =>
      client.raw({ method: 'POST', path: HUB_PATHS.heartbeat, body, ...over });

    const stranger = generateKeyPairSync('ed25519').privateKey;
    refused(
      await post({
        sign: { keyid: device.id, privateKey: stranger },
      }),
      401,
      'Unauthorized',
      /does not verify/,
    );
    refused(
      await post({
        sign: { keyid: 'f'.repeat(32), privateKey: stranger },
      }),
      401,
      'Unauthorized',
      /not enrolled/,
    );
    refused(await post({ sign: false }), 401, 'Unauthorized', /no content-digest header/);

    const fixed = {
      keyid: device.id,
      privateKey: device.privateKey,
      nonce: 'replayed-nonce-0001',
      created: Math.floor(Date.now() / 1000),
    };
    assert.equal((await post({ sign: fixed })).status, 200);
    refused(await post({ sign: fixed }), 401, 'Unauthorized', /replayed/);
    const stale = { ...fixed, nonce: 'stale-nonce-000001', created: Math.floor(Date.now() / 1000) - 3600 };
    refused(await post({ sign: stale }), 401, 'Unauthorized', /outside the hub's window/);

    // Signed for one body, path or method; sent with another.
    const headers = signRequest({
      method: 'POST',
      path: HUB_PATHS.heartbeat,
      body,
      keyid: device.id,
      privateKey: device.privateKey,
    });
    const other = Buffer.from(JSON.stringify({ head: null, backlog: 999, time: Date.now() }));
    refused(
      await client.raw({ method: 'POST', path: HUB_PATHS.heartbeat, body: other, headers, sign: false }),
      400,
      'BadRequest',
      /Content-Digest/,
    );
    const moved = signRequest({
      method: 'POST',
      path: HUB_PATHS.challenge,
      body,
      keyid: device.id,
      privateKey: device.privateKey,
    });
    refused(
      await client.raw({ method: 'POST', path: HUB_PATHS.heartbeat, body, headers: moved, sign: false }),
      401,
      'Unauthorized',
      /does not verify/,
    );
    assert.equal((await hub.service.store.device(device.id))?.backlog, 0);
  });

  test(`${kind}: spent, expired and unknown tokens, and a key that did not sign, do not enroll`, async (t) => {
    const hub = await startTestHub(t, kind);
    const dir = tempDir(t);
    const a = new TestDevice(dir, 'a');
    const b = new TestDevice(dir, 'b');
    t.after(() => {
      a.close();
      b.close();
    });
    const request = (device: TestDevice, token: string) => ({
      token,
      publicKey: device.publicKey.toString('base64'),
      user: 'u',
      machine: 'm',
      os: 'Linux',
      wardenVersion: '0.1.0',
      head: null,
      start: { seq: 1, prevHash: GENESIS_HASH },
    });
    const token = await hub.token();
    const ca = new HubClient(hub.url, a.id, a.privateKey);
    const cb = new HubClient(hub.url, b.id, b.privateKey);
    assert.equal((await ca.enroll(request(a, token))).status, 200);
    refused(await cb.enroll(request(b, token)), 401, 'Unauthorized', /already used/);
    const expired = await hub.token(1);
    await new Promise((r) => setTimeout(r, 5));
    refused(await cb.enroll(request(b, expired)), 401, 'Unauthorized', /expired/);
    refused(await cb.enroll(request(b, 'Z'.repeat(43))), 401, 'Unauthorized', /not one this hub issued/);
    // b signs a request registering a's key: not proof of possession.
    const fresh = await hub.token();
    const forged = new HubClient(hub.url, a.id, b.privateKey);
    refused(
      await forged.enroll(request(a, fresh)),
      401,
      'Unauthorized',
      /not signed by the key it registers/,
    );
    refused(await cb.enroll({ ...request(b, fresh), extra: 1 } as never), 400, 'BadRequest', /extra/);
    // A revoked key cannot come back with a new token.
    await hub.service.store.revoke(a.id, Date.now());
    refused(await ca.enroll(request(a, fresh)), 401, 'DeviceRevoked', /revoked/);
    assert.equal((await hub.service.store.devices()).length, 1);
  });
}

test('oversized bodies, gzip bombs and malformed batches are refused whole', async (t) => {
  const hub = await startTestHub(t, 'sqlite');
  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  device.append(20);
  const client = await hub.enroll(device);
  const batch = (body: Buffer, encoding = 'gzip') =>
    client.raw({ method: 'POST', path: HUB_PATHS.batches, body, headers: { 'content-encoding': encoding } });

  refused(await batch(Buffer.alloc(9 * 1024 * 1024, 1)), 413, 'BodyTooLarge', /exceeds/);
  refused(await batch(gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20))), 413, 'BodyTooLarge', /inflates/);
  refused(await batch(Buffer.from('plain text')), 400, 'BadRequest', /gzip/);
  refused(await batch(encodeBatch(device.rows(0, 5)), 'identity'), 400, 'BadRequest', /Content-Encoding/);
  const rows = device.rows(0, 5);
  refused(
    await batch(encodeBatch([rows[0]!, { ...rows[1]!, host: 'changed.example' }])),
    400,
    'BadRequest',
    /record 2 .* does not match its hash/,
  );
  refused(await batch(encodeBatch([rows[0]!, rows[2]!])), 400, 'BadRequest', /seq 3 after 1/);
  refused(await batch(gzipSync('{"seq":1}\n')), 400, 'BadRequest', /not a record/);
  refused(
    await client.raw({ method: 'GET', path: `${HUB_PATHS.heads}?seqs=1,-2` }),
    400,
    'BadRequest',
    /seqs/,
  );
  refused(await client.raw({ method: 'GET', path: '/hub/v1/nothing' }), 404, 'NotFound', /no hub route/);
  assert.equal((await hub.service.store.device(device.id))?.head, null);
  assert.equal((await client.batch(rows)).status, 200);
});

test('a busy hub answers 429 with Retry-After; plain HTTP off loopback is refused', async (t) => {
  const hub = await startTestHub(t, 'sqlite', { maxInflight: 0 });
  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  device.append(3);
  const client = await hub.enroll(device);
  const reply = await client.batch(device.rows());
  refused(reply, 429, 'RateLimited', /busy/);
  const after = Number(reply.headers.get('retry-after'));
  assert.ok(after >= 1 && after <= 5, `Retry-After ${after}`);
  assert.throws(
    () => new HubServer({ service: hub.service, host: '0.0.0.0', port: 0 }),
    (e: Error & { hint?: string }) =>
      /plain HTTP on 0\.0\.0\.0/.test(e.message) && /--tls-cert/.test(e.hint ?? ''),
  );
});

for (const kind of storeKinds()) {
  test(`${kind}: a record holding a lone surrogate (text no database stores as hashed) is refused`, async (t) => {
    const hub = await startTestHub(t, kind);
    const device = new TestDevice(tempDir(t));
    t.after(() => device.close());
    const client = await hub.enroll(device, { head: null });
    const [row] = syntheticChain(1);
    const odd = { ...row!, user: 'mallory\ud800' };
    odd.hash = rowHash(odd);
    const reply = await client.batch([odd]);
    refused(reply, 400, 'BadRequest', /record 1 of the batch holds a lone UTF-16 surrogate/);
    assert.equal((await hub.service.store.device(device.id))?.head, null);
    // The same record as the device's store writes it (the surrogate replaced) is taken.
    const fixed = { ...row!, user: 'mallory\ufffd' };
    fixed.hash = rowHash(fixed);
    assert.equal((await client.batch([fixed])).status, 200);
    const [held] = await hub.service.store.records(device.id, 0, 1);
    assert.equal(held?.user, 'mallory\ufffd');
    assert.equal(rowHash(held!), fixed.hash);
  });
}
