import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { BRIDGE_METHODS, EVENT_CHANNEL, FOCUS_APPROVAL_CHANNEL } from '../supervisor/api/bridge.ts';
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

test('the preload exposes exactly the bridge functions and onEvent', () => {
  const { ipc } = fakeIpc(() => ({ ok: true, value: null }));
  const api = createWardenBridge(ipc);
  assert.deepEqual(Object.keys(api).sort(), [...Object.keys(BRIDGE_METHODS), 'onEvent'].sort());
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
