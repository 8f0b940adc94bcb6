// The sandbox routes without booting a VM: the upgrade route checks the token like every
// other request, validates its query, and errors name the problem and what to do.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type ApiClientError, execInSandbox } from '../../supervisor/client/api-client.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon();
});
after(() => d.stop());

function rawUpgrade(
  headers: http.OutgoingHttpHeaders,
  urlPath: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath: d.daemon.paths.socket,
      method: 'POST',
      path: urlPath,
      headers: { connection: 'Upgrade', upgrade: 'warden-exec', ...headers },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('exec upgrade: no token or a wrong one is 401, like every other request', async () => {
  const token = readFileSync(d.daemon.paths.tokenFile, 'utf8').trim();
  const none = await rawUpgrade({}, '/v1/sandboxes/x/exec?argv=true');
  assert.equal(none.status, 401);
  assert.equal(JSON.parse(none.body).error.name, 'Unauthorized');
  const wrong = await rawUpgrade(
    { authorization: `Bearer ${'a'.repeat(token.length)}` },
    '/v1/sandboxes/x/exec?argv=true',
  );
  assert.equal(wrong.status, 401);
  const good = await rawUpgrade({ authorization: `Bearer ${token}` }, '/v1/sandboxes/x/exec?argv=true');
  assert.equal(good.status, 404, 'past the token: no such sandbox');
  assert.equal(JSON.parse(good.body).error.name, 'SandboxNotFound');
});

test('exec upgrade: the query is validated (argv required, unknown fields refused)', async () => {
  const token = readFileSync(d.daemon.paths.tokenFile, 'utf8').trim();
  const auth = { authorization: `Bearer ${token}` };
  const noArgv = await rawUpgrade(auth, '/v1/sandboxes/x/exec');
  assert.equal(noArgv.status, 400);
  assert.match(JSON.parse(noArgv.body).error.message, /argv/);
  const unknown = await rawUpgrade(auth, '/v1/sandboxes/x/exec?argv=true&sudo=1');
  assert.equal(unknown.status, 400);
  assert.match(JSON.parse(unknown.body).error.message, /sudo/);
  const badRows = await rawUpgrade(auth, '/v1/sandboxes/x/exec?argv=sh&tty=true&rows=huge');
  assert.equal(badRows.status, 400);
  const noRoute = await rawUpgrade(auth, '/v1/elsewhere');
  assert.equal(noRoute.status, 404);
});

test('the client helper rejects with the daemon error for an unknown sandbox', async () => {
  await assert.rejects(
    execInSandbox(d.client, 'nope-123', { argv: ['true'] }),
    (e: ApiClientError) =>
      e.status === 404 && e.name === 'SandboxNotFound' && e.hint === 'list them with: warden ps',
  );
});

test('create: bad resources, an unknown image, a workspace with secrets are refused before any boot', async () => {
  await assert.rejects(
    d.client.call('POST /v1/sandboxes', { body: { cpus: 0 } }),
    (e: ApiClientError) => e.status === 400 && /cpus/.test(e.message),
  );
  await assert.rejects(
    d.client.call('POST /v1/sandboxes', { body: { image: 'no-such-image' } }),
    (e: ApiClientError) => e.name === 'ImageNotFound' && /warden image build/.test(e.hint ?? ''),
  );
  const ws = path.join(d.home, 'ws');
  mkdirSync(ws);
  writeFileSync(path.join(ws, 'id_rsa'), 'key');
  await assert.rejects(
    d.client.call('POST /v1/sandboxes', { body: { workspace: { path: ws } } }),
    (e: ApiClientError) => e.name === 'WorkspaceHasSecrets' && /--include id_rsa/.test(e.hint ?? ''),
  );
  assert.deepEqual(await d.client.call('GET /v1/sandboxes'), []);
  assert.deepEqual(await d.client.call('GET /v1/images'), []);
});

test('status reports the VM side: pool, images, and no accelerator before any VM', async () => {
  const status = await d.client.call('GET /v1/status');
  assert.equal(status.vm?.accel, null);
  assert.equal(status.vm?.images, 0);
  assert.equal(status.vm?.pool.size, 1);
  assert.equal(status.vm?.pool.ready, 0);
  assert.equal(status.vm?.imagesDir, path.join(d.home, 'images'));
});
