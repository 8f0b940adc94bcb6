// The local API answers only its owner: the socket and token are 0600, every request needs
// the bearer token, and the loopback HTTP listener refuses foreign Host and Origin headers
// (DNS rebinding). Bodies are validated; errors keep their name and fields.

import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { WardenEvent } from '../../supervisor/api/index.ts';
import { ApiClient, type ApiClientError } from '../../supervisor/client/api-client.ts';
import { Daemon } from '../../supervisor/daemon/index.ts';
import { createLogger } from '../../supervisor/daemon/logger.ts';

let home: string;
let daemon: Daemon;
let client: ApiClient;
let port: number;
let token: string;

before(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'warden-api-'));
  daemon = await Daemon.start({ home, httpPort: 0, log: createLogger(() => {}), user: 'owner' });
  client = await ApiClient.fromFiles(daemon.paths.socket, daemon.paths.tokenFile);
  port = Number(new URL(daemon.httpUrl!).port);
  token = (await import('node:fs')).readFileSync(daemon.paths.tokenFile, 'utf8').trim();
});
after(async () => {
  await daemon.stop();
  await rm(home, { recursive: true, force: true });
});

function get(headers: Record<string, string>, p = '/v1/status'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, headers }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('socket, token and home are owner-only', async () => {
  assert.equal((await stat(daemon.paths.socket)).mode & 0o777, 0o600);
  assert.equal((await stat(daemon.paths.tokenFile)).mode & 0o777, 0o600);
  assert.equal((await stat(home)).mode & 0o077, 0);
});

test('the loopback listener needs the token and a loopback Host; a foreign Origin is refused', async () => {
  const host = `127.0.0.1:${port}`;
  assert.equal((await get({ host })).status, 401);
  assert.equal((await get({ host, authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await get({ host, authorization: `Bearer ${token}` })).status, 200);
  assert.equal((await get({ host: `localhost:${port}`, authorization: `Bearer ${token}` })).status, 200);
  const rebound = await get({ host: `evil.example:${port}`, authorization: `Bearer ${token}` });
  assert.equal(rebound.status, 403);
  assert.match(rebound.body, /Host header is not a loopback address/);
  const foreign = await get({ host, origin: 'http://evil.example', authorization: `Bearer ${token}` });
  assert.equal(foreign.status, 403);
  assert.equal((await get({ host, origin: `http://${host}`, authorization: `Bearer ${token}` })).status, 200);
});

test('malformed bodies are refused with a named error; nothing changes', async () => {
  await assert.rejects(
    client.call('PUT /v1/secrets/:name', {
      params: { name: 'X' },
      body: { value: 'v', hosts: [], inject: 'bearer' },
    }),
    (e: ApiClientError) => e.name === 'BadRequest' && /hosts/.test(e.message) && e.status === 400,
  );
  await assert.rejects(
    client.call('POST /v1/approvals/:id', {
      params: { id: 'x' },
      body: { decision: 'maybe', scope: 'once' } as never,
    }),
    (e: ApiClientError) => e.name === 'BadRequest' && e.status === 400,
  );
  await assert.rejects(
    client.call('POST /v1/approvals/:id', {
      params: { id: 'nope' },
      body: { decision: 'allow', scope: 'once' },
    }),
    (e: ApiClientError) =>
      e.name === 'ApprovalNotFound' && e.status === 404 && /warden approvals/.test(e.hint ?? ''),
  );
  const invalid = await client.call('POST /v1/policy/validate', {
    body: { yaml: 'apiVersion: nope\n', source: 'x.yaml' },
  });
  assert.equal(invalid.valid, false);
  assert.ok(invalid.errors.every((e) => e.source === 'x.yaml' && e.line >= 1));
  assert.equal((await client.call('GET /v1/secrets')).length, 0);
});

test('the event stream delivers events as they happen', async () => {
  const ac = new AbortController();
  const got: WardenEvent[] = [];
  let opened!: () => void;
  const open = new Promise<void>((r) => {
    opened = r;
  });
  const done = client.events((e) => got.push(e), { signal: ac.signal, onOpen: () => opened() });
  await open;
  const created = await client.call('POST /v1/sandboxes', { body: { kind: 'host', label: 'sse' } });
  for (let i = 0; i < 100 && !got.some((e) => e.type === 'user.action'); i++)
    await new Promise((r) => setTimeout(r, 10));
  ac.abort();
  await done;
  const action = got.find((e) => e.type === 'user.action');
  assert.ok(
    action && action.type === 'user.action' && action.action === 'listener.create' && action.user === 'owner',
  );
  await client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: created.sandbox.sandboxId } });
});

test('a second daemon for the same home refuses to start', async () => {
  await assert.rejects(Daemon.start({ home, log: createLogger(() => {}) }), /already running/);
});
