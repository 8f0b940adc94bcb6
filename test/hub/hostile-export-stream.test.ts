// Hostile clients of `GET /v1/export`: no, malformed, unknown and expired tokens; filters
// that are not what they claim (SQL in a device id, dates that are not dates, a cursor
// that is not one, unknown or repeated parameters, until before since); a client that
// stops reading (cut after the stall limit, the hub still serving others) and one that
// hangs up mid-stream.

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { openExportStream } from '../../supervisor/hub/exports/open-stream.ts';
import { HubServer } from '../../supervisor/hub/http-server.ts';
import { openHub } from '../../supervisor/hub/open-hub.ts';
import { curl } from '../support/curl.ts';
import { freshPgDatabase, type StoreKind, storeKinds } from '../support/hub/hub.ts';
import { seedDevice } from '../support/hub/seed.ts';
import { tempDir } from '../support/temp-dir.ts';

const DEV = 'cccccccccccccccccccccccccccccccc';

async function streamingHub(t: import('node:test').TestContext, rows = 20_000, kind: StoreKind = 'sqlite') {
  const home = tempDir(t, 'warden-hub-');
  const db = kind === 'sqlite' ? 'sqlite:hub.db' : await freshPgDatabase(t);
  const service = await openHub({ home, db, origin: 'hub.test/warden', challengeRate: 0 });
  await seedDevice(service.store, DEV, rows, 1_780_000_000_000);
  const exportStream = await openExportStream({
    home,
    db,
    now: () => Date.now(),
    stallMs: 800,
    pageSize: 200,
  });
  const server = new HubServer({ service, host: '127.0.0.1', port: 0, exportStream });
  await server.listen();
  t.after(async () => {
    await server.close();
    await exportStream.o.db.close();
    await service.store.close();
  });
  const token = await exportStream.o.db.createToken('siem', Date.now(), 3_600_000);
  return { url: server.url, token, db: exportStream.o.db, service };
}

const get = (url: string, ...headers: string[]) => curl({}, [...headers.flatMap((h) => ['-H', h]), url]);

test('no, malformed, unknown or expired tokens are 401 and name the fix', async (t) => {
  const { url, token, db } = await streamingHub(t, 10);
  const expired = await db.createToken('old', Date.now() - 10_000, 1);
  const cases = [
    [],
    [`Authorization: Basic ${Buffer.from('a:b').toString('base64')}`],
    ['Authorization: Bearer wexp_not-a-real-token'],
    [`Authorization: Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`],
    [`Authorization: Bearer ${expired}`],
    [`Authorization: Bearer ${token}x${'y'.repeat(300)}`],
  ];
  for (const h of cases) {
    const r = await get(`${url}/v1/export`, ...h);
    assert.equal(r.status, 401, `${h}`);
    assert.equal(JSON.parse(r.body).error.name, 'Unauthorized');
    assert.match(JSON.parse(r.body).error.hint, /warden hub export token create/);
  }
  assert.equal((await get(`${url}/v1/export`, `Authorization: Bearer ${token}`)).status, 200);
  const post = await curl({}, ['-X', 'POST', '-H', `Authorization: Bearer ${token}`, `${url}/v1/export`]);
  assert.equal(post.status, 404);
});

for (const kind of storeKinds())
  test(`bad filters are 400 naming the parameter; nothing reaches SQL unchecked (${kind})`, async (t) => {
    const { url, token } = await streamingHub(t, 10, kind);
    const auth = `Authorization: Bearer ${token}`;
    const cases: Array<[string, RegExp]> = [
      [`device=${encodeURIComponent("x' OR '1'='1")}`, /invalid `device`/],
      [`kind=${encodeURIComponent('a;DROP TABLE records')}`, /invalid `kind`/],
      ['since=yesterday', /invalid `since`/],
      ['until=2026-13-45T99:00:00Z', /invalid `until`/],
      ['since=99999999999999999', /invalid `since`/],
      ['since=2000&until=1000', /`until` is before `since`/],
      ['after=garbage', /invalid `after`/],
      [`after=1.${'d'.repeat(200)}.3`, /invalid `after`/],
      ['limit=10', /unknown export parameter "limit"/],
      ['device=a&device=b', /`device` given more than once/],
    ];
    for (const [q, why] of cases) {
      const r = await get(`${url}/v1/export?${q}`, auth);
      assert.equal(r.status, 400, q);
      assert.match(JSON.parse(r.body).error.message, why, q);
    }
    const ok = await get(`${url}/v1/export?device=${DEV}&since=2026-01-01T00:00:00Z`, auth);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.trim().split('\n').length, 10);
  });

test('a client that stops reading is cut after the stall limit; others are served meanwhile', async (t) => {
  const { url, token } = await streamingHub(t);
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.pause(); // never reads: the hub's writes back up
  t.after(() => socket.destroy());
  socket.write(`GET /v1/export HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  await new Promise((r) => setTimeout(r, 300));
  const other = await get(
    `${url}/v1/export?after=1780000019990.${DEV}.19990`,
    `Authorization: Bearer ${token}`,
  );
  assert.equal(other.status, 200);
  assert.equal(other.body.trim().split('\n').length, 10, 'the hub serves others while one client stalls');
  // Past the stall limit, read what is left: the hub cut the stream (no final chunk).
  await new Promise((r) => setTimeout(r, 1500));
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<boolean>((resolve) => socket.on('close', () => resolve(true)));
  socket.on('error', () => undefined);
  socket.resume();
  assert.equal(
    await Promise.race([ended, new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]),
    true,
    'the stalled connection was closed',
  );
  const text = Buffer.concat(chunks).toString('latin1');
  assert.match(text, /^HTTP\/1\.1 200/);
  assert.equal(text.endsWith('0\r\n\r\n'), false, 'the stream was cut, not completed');
  assert.ok(text.length < 20_000 * 1000, `only part of the stream was sent (${text.length} bytes)`);
});

test('a client that hangs up mid-stream ends the stream; the hub keeps serving', async (t) => {
  const { url, token } = await streamingHub(t);
  const { port } = new URL(url);
  for (let i = 0; i < 5; i++) {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.write(`GET /v1/export HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    await new Promise<void>((resolve) => {
      let got = 0;
      socket.on('data', (c: Buffer) => {
        got += c.length;
        if (got > 100_000) {
          socket.destroy();
          resolve();
        }
      });
    });
  }
  const r = await get(`${url}/v1/export?device=${DEV}&until=1780000000005`, `Authorization: Bearer ${token}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.trim().split('\n').length, 5);
});

for (const kind of storeKinds())
  test(`pages across devices in (time, device, seq) order, resumed exactly (${kind})`, async (t) => {
    const { url, token, service } = await streamingHub(t, 1500, kind);
    const other = 'ffffffffffffffffffffffffffffffff';
    await seedDevice(service.store, other, 1500, 1_780_000_000_000 + 700);
    const auth = `Authorization: Bearer ${token}`;
    const all = await get(`${url}/v1/export`, auth);
    assert.equal(all.status, 200);
    const lines = all.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).unmapped.warden);
    assert.equal(lines.length, 3000);
    const keys = lines.map((w: { cursor: string }) => w.cursor);
    const sortKey = (c: string) => {
      const [time, device, seq] = c.split('.');
      return `${time!.padStart(16, '0')}.${device}.${seq!.padStart(8, '0')}`;
    };
    for (let i = 1; i < keys.length; i++)
      assert.ok(sortKey(keys[i - 1]!) < sortKey(keys[i]!), `order at ${i}`);
    const rest = await get(`${url}/v1/export?after=${keys[1234]}`, auth);
    const restKeys = rest.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).unmapped.warden.cursor);
    assert.deepEqual(restKeys, keys.slice(1235));
    const dev = await get(`${url}/v1/export?device=${other}&kind=request.decided&until=1780000000710`, auth);
    assert.equal(dev.body.trim().split('\n').length, 10);
  });
