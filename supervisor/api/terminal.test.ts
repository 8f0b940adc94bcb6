import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isTerminalSize,
  parseTerminalClientMessage,
  parseTerminalServerMessage,
  readTerminalProtocols,
  TERMINAL_CLOSE,
  TERMINAL_PROTOCOL,
  TerminalListeners,
  terminalPath,
  terminalProtocols,
} from './terminal.ts';

test('the path carries the sandbox id encoded and the size', () => {
  assert.equal(terminalPath('sb-1', { cols: 80, rows: 24 }), '/v1/sandboxes/sb-1/terminal?cols=80&rows=24');
  assert.equal(terminalPath('a/b?c', { cols: 1, rows: 2 }), '/v1/sandboxes/a%2Fb%3Fc/terminal?cols=1&rows=2');
});

test('the token rides as a second subprotocol and is read back from the header', () => {
  assert.deepEqual(terminalProtocols('T0k_en-1'), [TERMINAL_PROTOCOL, 'warden-token.T0k_en-1']);
  assert.deepEqual(readTerminalProtocols('warden-terminal.v1, warden-token.abc'), {
    terminal: true,
    token: 'abc',
  });
  assert.deepEqual(readTerminalProtocols('warden-token.abc'), { terminal: false, token: 'abc' });
  assert.deepEqual(readTerminalProtocols('chat,  warden-terminal.v1'), { terminal: true });
  assert.deepEqual(readTerminalProtocols(undefined), { terminal: false });
  assert.deepEqual(readTerminalProtocols('warden-terminal.v10'), { terminal: false });
});

test('sizes are whole numbers from 1 to 1000', () => {
  assert.ok(isTerminalSize({ cols: 80, rows: 24 }));
  assert.ok(isTerminalSize({ cols: 1000, rows: 1 }));
  for (const bad of [
    null,
    'x',
    {},
    { cols: 0, rows: 24 },
    { cols: 80, rows: 1001 },
    { cols: 8.5, rows: 2 },
    { cols: '80', rows: 24 },
  ])
    assert.equal(isTerminalSize(bad), false, JSON.stringify(bad));
});

test('client messages: only a well-formed resize is accepted', () => {
  assert.deepEqual(parseTerminalClientMessage('{"type":"resize","cols":100,"rows":30}'), {
    type: 'resize',
    cols: 100,
    rows: 30,
  });
  for (const bad of [
    'not json',
    '[]',
    '{"type":"resize","cols":0,"rows":30}',
    '{"type":"resize","cols":100,"rows":30,"argv":["sh"]}',
    '{"type":"exec","argv":["rm"]}',
  ])
    assert.equal(parseTerminalClientMessage(bad), null, bad);
});

test('server messages parse to their shapes; anything else is null', () => {
  assert.deepEqual(parseTerminalServerMessage('{"type":"ready","pid":7}'), { type: 'ready', pid: 7 });
  assert.deepEqual(parseTerminalServerMessage('{"type":"exit","code":3,"signal":null}'), {
    type: 'exit',
    code: 3,
    signal: null,
  });
  assert.deepEqual(
    parseTerminalServerMessage('{"type":"exit","code":null,"signal":null,"reason":"the sandbox stopped"}'),
    { type: 'exit', code: null, signal: null, reason: 'the sandbox stopped' },
  );
  assert.deepEqual(
    parseTerminalServerMessage(
      '{"type":"error","error":{"name":"SandboxNotFound","message":"no sandbox x","status":404,"hint":"warden ps","extra":1}}',
    ),
    {
      type: 'error',
      error: { name: 'SandboxNotFound', message: 'no sandbox x', status: 404, hint: 'warden ps' },
    },
  );
  assert.equal(parseTerminalServerMessage('{"type":"error","error":{"message":"no name"}}'), null);
  assert.equal(parseTerminalServerMessage('{"type":"surprise"}'), null);
  assert.equal(parseTerminalServerMessage('nope'), null);
  assert.equal(TERMINAL_CLOSE.refused(404), 4404);
  assert.equal(TERMINAL_CLOSE.refused(409), 4409);
});

test('listeners: output before the first listener is replayed to it; exit once; close stops delivery', () => {
  const l = new TerminalListeners();
  l.data(new Uint8Array([1]));
  l.data(new Uint8Array([2]));
  const got: number[] = [];
  const off = l.onData((d) => got.push(...d));
  l.data(new Uint8Array([3]));
  assert.deepEqual(got, [1, 2, 3]);
  off();
  l.data(new Uint8Array([4]));
  assert.deepEqual(got, [1, 2, 3]);
  const exits: unknown[] = [];
  l.onExit((e) => exits.push(e));
  l.exit({ code: 0, signal: null });
  l.exit({ code: 1, signal: null });
  l.onExit((e) => exits.push(e));
  assert.deepEqual(exits, [
    { code: 0, signal: null },
    { code: 0, signal: null },
  ]);
  assert.deepEqual(l.ended, { code: 0, signal: null });

  const closed = new TerminalListeners();
  const none: unknown[] = [];
  closed.onExit((e) => none.push(e));
  closed.close();
  closed.exit({ code: 0, signal: null });
  closed.data(new Uint8Array([9]));
  assert.deepEqual(none, []);
});
