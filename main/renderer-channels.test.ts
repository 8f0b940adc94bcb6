// Main → renderer: every channel main sends on is in the contract's list, the preload and
// the renderer's stores subscribe to each, and the connection state the window shows is
// main's, not a constant (a restarted daemon's window must not keep the dead one's state).

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createPreloadClient } from '../renderer/client/preload-client.ts';
import { RootStore } from '../renderer/stores/root.ts';
import {
  CONNECTION_CHANNEL,
  type ConnectionState,
  FOCUS_APPROVAL_CHANNEL,
  MAIN_TO_RENDERER_CHANNELS,
} from '../supervisor/api/bridge.ts';
import { createWardenBridge, createWardenDesktop, type IpcRendererLike } from './preload-api.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

function fakeIpc(state: ConnectionState) {
  const emitter = new EventEmitter();
  const ipc: IpcRendererLike = {
    invoke: async (channel) => {
      if (channel === CONNECTION_CHANNEL) return state;
      if (channel === 'warden:terminal-open') return { ok: true, value: null };
      return { ok: true, value: [] };
    },
    on: (channel, listener) => emitter.on(channel, listener),
    removeListener: (channel, listener) => emitter.removeListener(channel, listener),
  };
  return { ipc, emitter };
}

test('main sends only on the channels the contract lists', () => {
  const known: Record<string, string> = {
    EVENT_CHANNEL: 'warden:event',
    CONNECTION_CHANNEL,
    FOCUS_APPROVAL_CHANNEL,
    'TERMINAL_CHANNELS.data': 'warden:terminal-data',
    'TERMINAL_CHANNELS.exit': 'warden:terminal-exit',
  };
  const unknown: string[] = [];
  for (const name of readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const text = readFileSync(path.join(here, name), 'utf8');
    // `.send(CHANNEL, …)` or `.send(senderId, CHANNEL, …)`; a parameter named `channel` only passes one on.
    for (const m of text.matchAll(/\.send\((?:senderId,\s*)?([A-Za-z_.]+)/g)) {
      const arg = m[1]!;
      if (arg === 'channel') continue;
      if (!known[arg]) unknown.push(`${name}: send(${arg}, …)`);
    }
  }
  assert.deepEqual(unknown, []);
  assert.deepEqual(Object.values(known).sort(), [...MAIN_TO_RENDERER_CHANNELS].sort());
});

test('the preload and the renderer subscribe to every main → renderer channel', async () => {
  const { ipc, emitter } = fakeIpc('open');
  const client = createPreloadClient(createWardenBridge(ipc), createWardenDesktop(ipc));
  const root = new RootStore(client);
  root.start();
  // The terminal's channels are subscribed when a terminal opens.
  await client.openTerminal('sb-1', { cols: 80, rows: 24 });
  const missing = MAIN_TO_RENDERER_CHANNELS.filter((c) => emitter.listenerCount(c) === 0);
  root.stop();
  assert.deepEqual(missing, []);
});

test('a notification click (focus an approval) reaches the approvals store', () => {
  const { ipc, emitter } = fakeIpc('open');
  const root = new RootStore(createPreloadClient(createWardenBridge(ipc), createWardenDesktop(ipc)));
  root.start();
  emitter.emit(FOCUS_APPROVAL_CHANNEL, {}, 'ap-42');
  assert.equal(root.approvals.focusRequest, 'ap-42');
  root.approvals.focusDone();
  assert.equal(root.approvals.focusRequest, null);
  root.stop();
});

test('the window shows main’s connection state: current first, then each change', async () => {
  const { ipc, emitter } = fakeIpc('closed');
  const root = new RootStore(createPreloadClient(createWardenBridge(ipc)));
  root.start();
  await new Promise((r) => setImmediate(r));
  assert.equal(root.connection, 'closed', 'not reported open while the daemon is gone');
  emitter.emit(CONNECTION_CHANNEL, {}, 'open');
  assert.equal(root.connection, 'open');
  emitter.emit(CONNECTION_CHANNEL, {}, 'closed');
  assert.equal(root.connection, 'closed');
  emitter.emit(CONNECTION_CHANNEL, {}, 'nonsense');
  assert.equal(root.connection, 'closed', 'anything else is ignored');
  root.stop();
});
