// The terminal's WebSocket against a real daemon: refused (with the reason) without the
// token, with a wrong one, from another Origin or Host, without its subprotocol, with a
// bad size; a sandbox that does not exist is named over the open socket; and with a real
// QEMU guest (TCG) bytes go both ways, the PTY takes a resize, and exit closes it. The
// Electron path (preload, IPC, main's exec upgrade) is run on the same guest.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { InvokeEventSurface } from '../../main/electron-surface.ts';
import { createWardenBridge } from '../../main/preload-api.ts';
import { attachShell, TerminalBridge } from '../../main/terminal-bridge.ts';
import {
  parseTerminalServerMessage,
  TERMINAL_PROTOCOL,
  type TerminalServerMessage,
  terminalPath,
  terminalProtocols,
} from '../../supervisor/api/terminal.ts';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { bootSandbox, buildTestImage, linkImage } from '../vm/image.ts';

interface Refusal {
  status: number;
  body: { error: { name: string; message: string } };
}

/** Connects and resolves with the refusal (status and JSON body), or the open socket. */
function connect(
  url: string,
  protocols: string[],
  headers: Record<string, string> = {},
): Promise<{ refused: Refusal } | { ws: WebSocket; rec: Recording }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    // Recorded from the start: a refusal over the open socket may come with the handshake.
    const rec = record(ws);
    ws.once('open', () => resolve({ ws, rec }));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ refused: { status: res.statusCode ?? 0, body: JSON.parse(text) } }));
    });
    ws.once('error', reject);
  });
}

async function refusal(url: string, protocols: string[], headers: Record<string, string> = {}) {
  const r = await connect(url, protocols, headers);
  assert.ok('refused' in r, 'the handshake was refused');
  return r.refused;
}

type Recording = ReturnType<typeof record>;

/** A socket's text messages and output, and how it closed. */
function record(ws: WebSocket) {
  const messages: TerminalServerMessage[] = [];
  let output = '';
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) output += data.toString('utf8');
    else {
      const m = parseTerminalServerMessage(data.toString('utf8'));
      if (m) messages.push(m);
    }
  });
  return { messages, output: () => output, closed };
}

let d: TestDaemon;
let base: string;
let origin: string;
let token: string;

before(async () => {
  d = await startTestDaemon({
    daemon: { httpPort: 0, poolSize: 0, accel: 'tcg' },
    homePrefix: 'warden-term-',
  });
  origin = d.daemon.httpUrl!;
  base = origin.replace(/^http/, 'ws');
  token = readFileSync(d.daemon.paths.tokenFile, 'utf8').trim();
});
after(() => d.stop());

const size = { cols: 100, rows: 30 };

describe('the terminal WebSocket refuses, with the reason', () => {
  test('no token, or a wrong one: 401', async () => {
    const url = `${base}${terminalPath('x', size)}`;
    const none = await refusal(url, [TERMINAL_PROTOCOL], { origin });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.name, 'Unauthorized');
    assert.match(none.body.error.message, /warden-token\.TOKEN/);
    const wrong = await refusal(url, terminalProtocols('a'.repeat(token.length)), { origin });
    assert.equal(wrong.status, 401);
    const bearer = await refusal(url, [TERMINAL_PROTOCOL], { origin, authorization: 'Bearer nope' });
    assert.equal(bearer.status, 401);
  });

  test('another Origin or Host: 403, even with the token', async () => {
    const url = `${base}${terminalPath('x', size)}`;
    const evil = await refusal(url, terminalProtocols(token), { origin: 'http://evil.example' });
    assert.equal(evil.status, 403);
    assert.equal(evil.body.error.message, 'the Origin is not this server');
    const otherPort = await refusal(url, terminalProtocols(token), { origin: 'http://127.0.0.1:1' });
    assert.equal(otherPort.status, 403);
    const rebound = await refusal(url, terminalProtocols(token), {
      host: `evil.example:${new URL(origin).port}`,
    });
    assert.equal(rebound.status, 403);
    assert.equal(rebound.body.error.message, 'the Host header is not a loopback address');
  });

  test('without the terminal subprotocol, or with a bad size: 400', async () => {
    const noProtocol = await refusal(`${base}${terminalPath('x', size)}`, [], {
      origin,
      authorization: `Bearer ${token}`,
    });
    assert.equal(noProtocol.status, 400);
    assert.match(noProtocol.body.error.message, /warden-terminal\.v1/);
    const badSize = await refusal(
      `${base}/v1/sandboxes/x/terminal?cols=0&rows=24`,
      terminalProtocols(token),
      { origin },
    );
    assert.equal(badSize.status, 400);
    assert.match(badSize.body.error.message, /cols/);
    const extra = await refusal(
      `${base}/v1/sandboxes/x/terminal?cols=80&rows=24&argv=rm`,
      terminalProtocols(token),
      { origin },
    );
    assert.equal(extra.status, 400);
    const noRoute = await refusal(`${base}/v1/elsewhere`, terminalProtocols(token), { origin });
    assert.equal(noRoute.status, 404);
  });

  test('the answer names only the terminal subprotocol, never the token', async () => {
    const r = await connect(`${base}${terminalPath('nope-123', size)}`, terminalProtocols(token), { origin });
    assert.ok('ws' in r);
    assert.equal(r.ws.protocol, TERMINAL_PROTOCOL);
    r.ws.close();
  });

  test('an unknown sandbox: the open socket says so and closes with 4404', async () => {
    const r = await connect(`${base}${terminalPath('nope-123', size)}`, terminalProtocols(token), { origin });
    assert.ok('ws' in r);
    const { rec } = r;
    const closed = await rec.closed;
    assert.equal(closed.code, 4404);
    const error = rec.messages.find((m) => m.type === 'error');
    assert.equal(error?.type === 'error' && error.error.name, 'SandboxNotFound');
    assert.equal(error?.type === 'error' && error.error.hint, 'list them with: warden ps');
  });

  test('over the unix socket the Authorization header is enough', async () => {
    const r = await connect(
      `ws+unix://${d.daemon.paths.socket}:${terminalPath('nope-123', size)}`,
      [TERMINAL_PROTOCOL],
      {
        authorization: `Bearer ${token}`,
      },
    );
    assert.ok('ws' in r);
    assert.equal((await r.rec.closed).code, 4404);
  });
});

const noQemu = !(process.env.PATH ?? '')
  .split(':')
  .some((dir) => existsSync(path.join(dir, 'qemu-system-x86_64')));

describe('the terminal WebSocket on a real sandbox', {
  skip: noQemu ? 'no qemu-system-x86_64' : false,
  timeout: 300_000,
}, () => {
  let sandboxId: string;

  before(async () => {
    const built = await buildTestImage();
    linkImage(d.home, built.image);
    sandboxId = await bootSandbox(d, 'ws', built.image);
  });

  test('ready, then input and output round trip; resize reaches the PTY; exit closes with its code', async () => {
    const r = await connect(`${base}${terminalPath(sandboxId, size)}`, terminalProtocols(token), { origin });
    assert.ok('ws' in r, 'opened');
    const { ws } = r;
    const { rec } = r;
    await until('ready', () => rec.messages.some((m) => m.type === 'ready'), 30_000);
    ws.send(Buffer.from('stty size; echo round-$((20+3))-trip\n'), { binary: true });
    await until('the output', () => /^round-23-trip\r?$/m.test(rec.output()), 30_000);
    assert.match(rec.output(), /^30 100\r?$/m, 'the PTY has the size asked for');
    ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
    ws.send(Buffer.from('stty size\n'), { binary: true });
    await until('the new size', () => /^40 120\r?$/m.test(rec.output()), 30_000);
    ws.send(Buffer.from('exit 5\n'), { binary: true });
    const closed = await rec.closed;
    assert.equal(closed.code, 1000);
    const exit = rec.messages.find((m) => m.type === 'exit');
    assert.deepEqual(exit, { type: 'exit', code: 5, signal: null });
  });

  test('a text message that is not a terminal message closes the socket (1008)', async () => {
    const r = await connect(`${base}${terminalPath(sandboxId, size)}`, terminalProtocols(token), { origin });
    assert.ok('ws' in r);
    const { rec } = r;
    await until('ready', () => rec.messages.some((m) => m.type === 'ready'), 30_000);
    r.ws.send('{"type":"exec","argv":["rm"]}');
    assert.equal((await rec.closed).code, 1008);
  });

  test('the Electron path (preload → IPC → main → exec upgrade) carries the same shell', async () => {
    // An in-process IPC pair with Electron's structured cloning; the real preload and main halves.
    const handlers = new Map<string, (event: InvokeEventSurface, ...args: unknown[]) => unknown>();
    const toRenderer = new EventEmitter();
    const frame: InvokeEventSurface = { sender: { id: 1 }, senderFrame: { url: 'file:///app/index.html' } };
    const main = new TerminalBridge({
      ipcMain: { handle: (c, l) => handlers.set(c, l), removeHandler: (c) => handlers.delete(c) },
      openExec: (id, size) => attachShell(d.client, id, size),
      send: (_id, channel, ...args) => {
        const copy = structuredClone(args);
        setImmediate(() => toRenderer.emit(channel, {}, ...copy));
        return true;
      },
    });
    main.register();
    const preload = createWardenBridge({
      invoke: async (channel, ...args) => handlers.get(channel)!(frame, ...structuredClone(args)),
      on: (channel, listener) => toRenderer.on(channel, listener),
      removeListener: (channel, listener) => toRenderer.removeListener(channel, listener),
    });
    const session = await preload.openTerminal(sandboxId, { cols: 90, rows: 25 });
    let output = '';
    session.onData((data) => {
      output += new TextDecoder().decode(data);
    });
    const exited = new Promise((resolve) => session.onExit(resolve));
    session.write('stty size; echo via-$((1+1))-ipc\n');
    await until('the output', () => /^via-2-ipc\r?$/m.test(output), 30_000);
    assert.match(output, /^25 90\r?$/m);
    session.resize({ cols: 70, rows: 21 });
    session.write('stty size\n');
    await until('the new size', () => /^21 70\r?$/m.test(output), 30_000);
    session.write('exit 4\n');
    assert.deepEqual(await exited, { code: 4, signal: null });
    assert.equal(main.size, 0);
    await assert.rejects(preload.openTerminal('nope-1', { cols: 80, rows: 24 }), {
      name: 'SandboxNotFound',
      status: 404,
    });
    main.dispose();
  });

  test('stopping the sandbox ends an open terminal with the reason', async () => {
    const r = await connect(`${base}${terminalPath(sandboxId, size)}`, terminalProtocols(token), { origin });
    assert.ok('ws' in r);
    const { rec } = r;
    await until('ready', () => rec.messages.some((m) => m.type === 'ready'), 30_000);
    await d.client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId } });
    const closed = await rec.closed;
    assert.equal(closed.code, 1000);
    const exit = rec.messages.find((m) => m.type === 'exit');
    assert.ok(exit?.type === 'exit', JSON.stringify(rec.messages));
    assert.ok(
      exit.code !== null || exit.signal !== null || exit.reason === 'the sandbox stopped',
      JSON.stringify(exit),
    );
  });
});
