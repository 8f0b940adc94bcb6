import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExecSession } from '../client/api-client.ts';
import { REPEAT_WINDOW_MS, SignalForwarder } from './signal-forwarding.ts';

function fakeSession() {
  const kills: string[] = [];
  let detached = false;
  const session = {
    kill: (s?: string) => kills.push(s ?? 'SIGTERM'),
    detach: () => {
      detached = true;
    },
  } as unknown as ExecSession;
  return { session, kills, detached: () => detached };
}

test('a signal delivered twice at once (timeout(1) signals the process and its group) is one', async () => {
  let stops = 0;
  const f = new SignalForwarder({ stopTimeoutMs: 60_000, stop: async () => void stops++, say: () => {} });
  const s = fakeSession();
  f.attach(s.session);
  f.onSignal('SIGTERM');
  f.onSignal('SIGTERM');
  assert.deepEqual(s.kills, ['SIGTERM']);
  assert.equal(f.stopping, false);
  await new Promise((r) => setTimeout(r, REPEAT_WINDOW_MS + 50));
  f.onSignal('SIGINT');
  assert.equal(await f.stopped, 130);
  assert.deepEqual(s.kills, ['SIGTERM', 'SIGKILL']);
  assert.equal(stops, 1);
  assert.ok(s.detached());
  f.dispose();
});

test('a signal before the command started reaches it once it does; the grace period stops it', async () => {
  const said: string[] = [];
  const f = new SignalForwarder({ stopTimeoutMs: 50, stop: async () => {}, say: (l) => said.push(l) });
  f.onSignal('SIGHUP');
  const s = fakeSession();
  f.attach(s.session);
  assert.deepEqual(s.kills, ['SIGHUP']);
  assert.equal(await f.stopped, 129);
  assert.deepEqual(s.kills, ['SIGHUP', 'SIGKILL']);
  assert.match(said.join('\n'), /did not exit within 0\.05 s of SIGHUP \(--stop-timeout\): stopping it/);
});

test('without a grace period signals are only forwarded', () => {
  const f = new SignalForwarder({ say: () => {} });
  const s = fakeSession();
  f.attach(s.session);
  f.onSignal('SIGINT');
  f.onSignal('SIGINT');
  assert.deepEqual(s.kills, ['SIGINT', 'SIGINT']);
  assert.equal(f.stopping, false);
});
