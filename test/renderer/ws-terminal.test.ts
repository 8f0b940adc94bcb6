// Browser mode's terminal client against a fake WebSocket: the URL and subprotocols it
// opens with, ready/refusal, output before and after listeners, input as bytes, resize as
// JSON, exit and a lost connection.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '../../renderer/client/client.ts';
import { createHttpClient } from '../../renderer/client/http-client.ts';
import { openWsTerminal, socketOrigin, type WebSocketLike } from '../../renderer/client/ws-terminal.ts';
import { TERMINAL_PROTOCOL } from '../../supervisor/api/terminal.ts';

class FakeSocket implements WebSocketLike {
  readyState = 0;
  binaryType = 'blob';
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  sent: Array<string | Uint8Array> = [];
  closedWith: [number?, string?] | undefined;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
    this.readyState = 3;
  }
  // The daemon's side:
  open(): void {
    this.readyState = 1;
  }
  text(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  bytes(s: string): void {
    this.onmessage?.({ data: new TextEncoder().encode(s).buffer });
  }
  end(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const connect = (url: string, protocols: string[]) => {
    const s = new FakeSocket(url, protocols);
    sockets.push(s);
    return s;
  };
  return { sockets, opts: { baseUrl: 'http://127.0.0.1:7777', token: 'tok_1', connect } };
}

const decode = (d: Uint8Array) => new TextDecoder().decode(d);

test('socketOrigin turns the page or API origin into ws://', () => {
  assert.equal(socketOrigin('http://127.0.0.1:7777'), 'ws://127.0.0.1:7777');
  assert.equal(socketOrigin('https://h:1'), 'wss://h:1');
});

test('opens the route with the token as a subprotocol and resolves on ready', async () => {
  const { sockets, opts } = setup();
  const opening = openWsTerminal(opts, 'sb/1', { cols: 80, rows: 24 });
  const ws = sockets[0]!;
  assert.equal(ws.url, 'ws://127.0.0.1:7777/v1/sandboxes/sb%2F1/terminal?cols=80&rows=24');
  assert.deepEqual(ws.protocols, [TERMINAL_PROTOCOL, 'warden-token.tok_1']);
  assert.equal(ws.binaryType, 'arraybuffer');
  ws.open();
  ws.bytes('motd\r\n');
  ws.text({ type: 'ready', pid: 12 });
  const session = await opening;
  ws.bytes('$ ');
  const out: string[] = [];
  session.onData((d) => out.push(decode(d)));
  ws.bytes('more');
  assert.deepEqual(out, ['motd\r\n', '$ ', 'more']);
  session.write('echo hi\r');
  session.resize({ cols: 120, rows: 40 });
  session.resize({ cols: 0, rows: 40 });
  assert.equal(ws.sent.length, 2);
  assert.ok(ws.sent[0] instanceof Uint8Array, 'input goes as bytes');
  assert.equal(decode(ws.sent[0] as Uint8Array), 'echo hi\r');
  assert.deepEqual(JSON.parse(ws.sent[1] as string), { type: 'resize', cols: 120, rows: 40 });
  const exits: unknown[] = [];
  session.onExit((e) => exits.push(e));
  ws.text({ type: 'exit', code: 0, signal: null });
  ws.end(1000, 'shell exited');
  assert.deepEqual(exits, [{ code: 0, signal: null }]);
});

test('a refusal over the socket rejects with the daemon error', async () => {
  const { sockets, opts } = setup();
  const opening = openWsTerminal(opts, 'nope', { cols: 80, rows: 24 });
  const ws = sockets[0]!;
  ws.open();
  ws.text({
    type: 'error',
    error: {
      name: 'SandboxNotFound',
      message: 'no sandbox nope',
      status: 404,
      hint: 'list them with: warden ps',
    },
  });
  ws.end(4404, 'SandboxNotFound');
  await assert.rejects(opening, (e: BridgeError) => {
    assert.ok(e instanceof BridgeError);
    assert.equal(e.name, 'SandboxNotFound');
    assert.equal(e.status, 404);
    assert.equal(e.hint, 'list them with: warden ps');
    return true;
  });
});

test('a handshake refused before opening (token, Origin) rejects with a hint', async () => {
  const { sockets, opts } = setup();
  const opening = openWsTerminal(opts, 'sb-1', { cols: 80, rows: 24 });
  sockets[0]!.end(1006);
  await assert.rejects(
    opening,
    (e: BridgeError) => e.name === 'TerminalRefused' && /code 1006/.test(e.message) && !!e.hint,
  );
});

test('a lost connection ends the session with the reason; close() sends nothing more', async () => {
  const { sockets, opts } = setup();
  const opening = openWsTerminal(opts, 'sb-1', { cols: 80, rows: 24 });
  const ws = sockets[0]!;
  ws.open();
  ws.text({ type: 'ready', pid: 1 });
  const session = await opening;
  const exits: unknown[] = [];
  session.onExit((e) => exits.push(e));
  ws.end(1006);
  assert.deepEqual(exits, [{ code: null, signal: null, reason: 'the connection to the daemon was lost' }]);

  const second = setup();
  const opening2 = openWsTerminal(second.opts, 'sb-1', { cols: 80, rows: 24 });
  const ws2 = second.sockets[0]!;
  ws2.open();
  ws2.text({ type: 'ready', pid: 1 });
  const s2 = await opening2;
  s2.close();
  assert.deepEqual(ws2.closedWith, [1000, 'closed by the user']);
  s2.write('ignored');
  assert.equal(ws2.sent.length, 0);
});

test('the browser-mode client opens terminals through the same WebSocket code', async () => {
  const { sockets, opts } = setup();
  const client = createHttpClient({
    baseUrl: opts.baseUrl,
    token: opts.token,
    connectWebSocket: opts.connect,
  });
  const opening = client.openTerminal('sb-9', { cols: 10, rows: 5 });
  const ws = sockets[0]!;
  assert.equal(ws.url, 'ws://127.0.0.1:7777/v1/sandboxes/sb-9/terminal?cols=10&rows=5');
  ws.open();
  ws.text({ type: 'ready', pid: 3 });
  const session = await opening;
  assert.equal(typeof session.write, 'function');
});
