import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { BRIDGE_METHODS, EVENT_CHANNEL, FOCUS_APPROVAL_CHANNEL } from '../supervisor/api/bridge.ts';
import { TERMINAL_CHANNELS } from '../supervisor/api/terminal.ts';
import { createWardenBridge, createWardenDesktop, type IpcRendererLike } from './preload-api.ts';

function fakeIpc(answer: (channel: string, args: unknown[]) => unknown) {
  const emitter = new EventEmitter();
  const invoked: Array<[string, unknown[]]> = [];
  const ipc: IpcRendererLike = {
    invoke: async (channel, ...args) => {
      invoked.push([channel, args]);
      return answer(channel, args);
    },
    on: (channel, listener) => emitter.on(channel, listener),
    removeListener: (channel, listener) => emitter.removeListener(channel, listener),
  };
  return { ipc, emitter, invoked };
}

test('the preload exposes exactly the bridge functions, onEvent, onConnection and openTerminal', () => {
  const { ipc } = fakeIpc(() => ({ ok: true, value: null }));
  const api = createWardenBridge(ipc);
  assert.deepEqual(
    Object.keys(api).sort(),
    [...Object.keys(BRIDGE_METHODS), 'onConnection', 'onEvent', 'openTerminal'].sort(),
  );
  for (const value of Object.values(api)) assert.equal(typeof value, 'function');
  assert.ok(Object.isFrozen(api));
  assert.equal('invoke' in api || 'send' in api || 'ipcRenderer' in api, false);
});

test('a call invokes its channel with the one argument and resolves with the value', async () => {
  const { ipc, invoked } = fakeIpc(() => ({ ok: true, value: { pid: 7 } }));
  const api = createWardenBridge(ipc);
  assert.deepEqual(await api.status(), { pid: 7 });
  await api.getSandbox({ params: { sandboxId: 's1' } });
  assert.deepEqual(invoked, [
    ['warden:status', []],
    ['warden:getSandbox', [{ params: { sandboxId: 's1' } }]],
  ]);
});

test('a failure rejects with the BridgeError fields intact', async () => {
  const error = { name: 'PolicyInvalid', message: 'bad', status: 400, hint: 'fix line 3', errors: [] };
  const { ipc } = fakeIpc(() => ({ ok: false, error }));
  await assert.rejects(createWardenBridge(ipc).applyPolicy({ body: { layer: 'base', yaml: '' } }), (e) => {
    assert.deepEqual(e, error);
    return true;
  });
  const odd = fakeIpc(() => 'surprise');
  await assert.rejects(createWardenBridge(odd.ipc).status(), { name: 'BadResponse' });
});

test('onEvent delivers events without the IPC event object and its disposer ends the subscription', () => {
  const { ipc, emitter } = fakeIpc(() => null);
  const seen: unknown[] = [];
  const dispose = createWardenBridge(ipc).onEvent((e) => seen.push(e));
  emitter.emit(EVENT_CHANNEL, { sender: 'ipcRenderer!' }, { type: 'daemon.started' });
  dispose();
  emitter.emit(EVENT_CHANNEL, {}, { type: 'daemon.stopping' });
  assert.deepEqual(seen, [{ type: 'daemon.started' }]);
  assert.equal(emitter.listenerCount(EVENT_CHANNEL), 0);
});

test('onFocusApproval passes the approval id', () => {
  const { ipc, emitter } = fakeIpc(() => null);
  const ids: string[] = [];
  const dispose = createWardenDesktop(ipc).onFocusApproval((id) => ids.push(id));
  emitter.emit(FOCUS_APPROVAL_CHANNEL, {}, 'ap-1');
  emitter.emit(FOCUS_APPROVAL_CHANNEL, {}, { not: 'an id' });
  dispose();
  emitter.emit(FOCUS_APPROVAL_CHANNEL, {}, 'ap-2');
  assert.deepEqual(ids, ['ap-1']);
});

test('openTerminal: output sent before open answers is kept; input, resize and close go to their channels', async () => {
  let emitter!: EventEmitter;
  const {
    ipc,
    invoked,
    emitter: e,
  } = fakeIpc((channel, args) => {
    if (channel === TERMINAL_CHANNELS.open) {
      // Main starts streaming at once: this arrives before the answer to open.
      emitter.emit(TERMINAL_CHANNELS.data, {}, args[0], new TextEncoder().encode('$ '));
    }
    return { ok: true, value: null };
  });
  emitter = e;
  const session = await createWardenBridge(ipc).openTerminal('sb-1', { cols: 80, rows: 24 });
  const [, openArgs] = invoked[0]!;
  const id = openArgs[0] as string;
  assert.deepEqual(openArgs.slice(1), ['sb-1', { cols: 80, rows: 24 }]);
  const out: string[] = [];
  session.onData((d) => out.push(new TextDecoder().decode(d)));
  emitter.emit(TERMINAL_CHANNELS.data, {}, id, new TextEncoder().encode('hi'));
  emitter.emit(TERMINAL_CHANNELS.data, {}, 'other-terminal', new TextEncoder().encode('not ours'));
  assert.deepEqual(out, ['$ ', 'hi']);
  session.write('ls\r');
  session.resize({ cols: 100, rows: 30 });
  session.resize({ cols: 0, rows: 30 });
  session.close();
  session.close();
  assert.deepEqual(
    invoked.slice(1).map(([c, a]) => [c, ...a]),
    [
      [TERMINAL_CHANNELS.input, id, 'ls\r'],
      [TERMINAL_CHANNELS.resize, id, { cols: 100, rows: 30 }],
      [TERMINAL_CHANNELS.close, id],
    ],
  );
});

test('openTerminal: the exit is reported once; a refusal rejects with the daemon error', async () => {
  const { ipc, invoked, emitter } = fakeIpc(() => ({ ok: true, value: null }));
  const session = await createWardenBridge(ipc).openTerminal('sb-1', { cols: 80, rows: 24 });
  const id = invoked[0]![1][0];
  const exits: unknown[] = [];
  session.onExit((x) => exits.push(x));
  emitter.emit(TERMINAL_CHANNELS.exit, {}, id, { code: 0, signal: null });
  emitter.emit(TERMINAL_CHANNELS.exit, {}, id, { code: 1, signal: null });
  assert.deepEqual(exits, [{ code: 0, signal: null }]);
  session.write('after exit');
  assert.equal(invoked.length, 1, 'nothing is sent for an ended session');

  const error = { name: 'SandboxNotRunning', message: 'sandbox sb-2 is stopped', status: 409 };
  const refused = fakeIpc(() => ({ ok: false, error }));
  await assert.rejects(createWardenBridge(refused.ipc).openTerminal('sb-2', { cols: 80, rows: 24 }), (e) => {
    assert.deepEqual(e, error);
    return true;
  });
});
