// Hostile Splunk HEC endpoints and configuration: an answer that echoes the token back, a
// 200 that is not JSON or has no ackId, acks that say "true" as a string or are huge, a
// token file others can read or that holds more than a token, bad index names and URLs.
// The exporter never moves the cursor without a real ack and never prints the token.

import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import type { WardenError } from '../../supervisor/api/errors.ts';
import { VERSION } from '../../supervisor/api/version.ts';
import { addExportTarget, exportStatuses, runnerFor } from '../../supervisor/hub/exports/index.ts';
import { TestDevice } from '../support/hub/device.ts';
import { startTestHub } from '../support/hub/hub.ts';
import { tempDir } from '../support/temp-dir.ts';

type Ctx = import('node:test').TestContext;
const TOKEN = '11111111-2222-4333-8444-555555555555';

async function setup(t: Ctx, handler: http.RequestListener) {
  const hub = await startTestHub(t, 'sqlite');
  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  device.append(20);
  const client = await hub.enroll(device);
  assert.equal((await client.batch(device.rows())).status, 200);
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokenFile = path.join(tempDir(t), 'token');
  writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  const target = await addExportTarget(hub.service.store, 'hec', url, 'splunk', hub.service.now(), {
    tokenFile,
  });
  const round = () =>
    runnerFor(hub.service.store, target, VERSION, {
      retryForMs: 1500,
      ackTimeoutMs: 400,
      ackPollMs: 50,
    }).round();
  const status = async () => (await exportStatuses(hub.service.store))[0]!;
  return { hub, device, url, tokenFile, round, status };
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

test('an answer that echoes the token back never puts it in an error', async (t) => {
  const { round, status } = await setup(t, (req, res) =>
    json(res, 400, { text: `bad request from ${req.headers.authorization}`, code: 6 }),
  );
  const report = await round();
  assert.match(report.error ?? '', /HTTP 400 \(code 6: bad request from Splunk \[token\]\)/);
  assert.equal((report.error ?? '').includes(TOKEN), false);
  assert.equal(JSON.stringify(await status()).includes(TOKEN), false);
});

test('a 200 that is not JSON, or has no ackId, does not move the cursor', async (t) => {
  let body = 'OK';
  const { device, round, status } = await setup(t, (_req, res) => json(res, 200, body));
  assert.match((await round()).error ?? '', /not JSON \(no ackId\)/);
  body = '{"text":"Success","code":0}';
  assert.match((await round()).error ?? '', /turn on indexer acknowledgement/);
  body = '{"text":"Success","code":0,"ackId":-3}';
  assert.match((await round()).error ?? '', /without an ackId/);
  assert.equal((await status()).cursor[device.id], undefined);
});

test('acks that are not exactly true, or huge, are not a confirmation', async (t) => {
  let ack: string = '{"acks":{"0":"true"}}';
  const { device, round, status } = await setup(t, (req, res) => {
    if (req.url?.startsWith('/services/collector/ack')) json(res, 200, ack);
    else json(res, 200, { text: 'Success', code: 0, ackId: 0 });
  });
  assert.match((await round()).error ?? '', /did not acknowledge the batch/);
  ack = `{"acks":{"0":true,"pad":"${'x'.repeat(200_000)}"}}`;
  assert.match((await round()).error ?? '', /did not acknowledge the batch/, 'a cut answer is not JSON');
  ack = '{"acks":[true]}';
  assert.match((await round()).error ?? '', /did not acknowledge the batch/);
  assert.equal((await status()).cursor[device.id], undefined);
  ack = '{"acks":{"0":true}}';
  assert.equal((await round()).error, null);
  assert.equal((await status()).cursor[device.id], 20);
});

test('a token file others can read, or holding more than a token, is refused', async (t) => {
  let requests = 0;
  const { hub, url, tokenFile, round } = await setup(t, (_req, res) => {
    requests++;
    json(res, 500, {});
  });
  chmodSync(tokenFile, 0o644);
  assert.match((await round()).error ?? '', /can be read by other users \(mode 644\)/);
  await assert.rejects(
    addExportTarget(hub.service.store, 'hec', url, 'other', 1, { tokenFile }),
    (e: WardenError) => e.name === 'BadRequest' && /chmod 600/.test(e.hint ?? ''),
  );
  chmodSync(tokenFile, 0o600);
  writeFileSync(tokenFile, `${TOKEN}\nsecond line\n`);
  const error = (await round()).error ?? '';
  assert.match(error, /must hold one token/);
  assert.equal(error.includes(TOKEN), false);
  assert.equal(requests, 0, 'nothing sent without a good token');
});

test('bad HEC configuration is refused by name', async (t) => {
  const hub = await startTestHub(t, 'sqlite');
  const dir = tempDir(t);
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  const add = (url: string, o: Record<string, string | undefined>) =>
    addExportTarget(hub.service.store, 'hec', url, undefined, 1, o);
  const cases: Array<[string, Record<string, string | undefined>, RegExp]> = [
    ['http://127.0.0.1:8088', {}, /needs --token-file/],
    ['http://127.0.0.1:8088', { tokenFile: 'token' }, /absolute path/],
    ['http://127.0.0.1:8088', { tokenFile: path.join(dir, 'missing') }, /does not exist/],
    ['file:///etc/passwd', { tokenFile }, /http\(s\) URL/],
    ['http://u:p@127.0.0.1:8088', { tokenFile }, /without credentials/],
    ['http://127.0.0.1:8088', { tokenFile, index: 'main; drop' }, /invalid --index/],
    ['http://127.0.0.1:8088', { tokenFile, sourcetype: 'x'.repeat(200) }, /invalid --source-type/],
  ];
  for (const [url, o, why] of cases)
    await assert.rejects(
      add(url, o),
      (e: WardenError) => e.name === 'BadRequest' && why.test(e.message),
      url,
    );
  const ok = await add('http://127.0.0.1:8088/', { tokenFile, sourcetype: 'warden:ocsf' });
  assert.equal(ok.target, 'http://127.0.0.1:8088/services/collector/event?sourcetype=warden%3Aocsf');
});
