import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  BRIDGE_METHODS,
  bridgeChannel,
  CONNECTION_CHANNEL,
  EVENT_CHANNEL,
} from '../supervisor/api/bridge.ts';
import type { WardenEvent } from '../supervisor/api/events.ts';
import { startTestDaemon, type TestDaemon, until } from '../test/support/daemon.ts';
import type { InvokeEventSurface, IpcMainSurface, WebContentsSurface } from './electron-surface.ts';
import { EventHub } from './event-hub.ts';
import { forwardEvents, IpcBridge } from './ipc-bridge.ts';
import type { BridgeResult } from './ipc-envelope.ts';

class FakeIpcMain implements IpcMainSurface {
  handlers = new Map<string, (event: InvokeEventSurface, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: InvokeEventSurface, ...args: unknown[]) => unknown): void {
    assert.ok(!this.handlers.has(channel), `${channel} registered twice`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** What Electron does on ipcRenderer.invoke: no handler → rejects. */
  async invoke(channel: string, event: InvokeEventSurface, ...args: unknown[]): Promise<BridgeResult> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return (await h(event, ...args)) as BridgeResult;
  }
}

const appFrame: InvokeEventSurface = {
  sender: { id: 1 },
  senderFrame: { url: 'file:///app/dist/renderer/index.html' },
};

let td: TestDaemon;
let ipc: FakeIpcMain;
let bridge: IpcBridge;

before(async () => {
  td = await startTestDaemon();
  ipc = new FakeIpcMain();
  bridge = new IpcBridge({ ipcMain: ipc, getClient: async () => td.client });
  bridge.register();
});
after(async () => {
  bridge.dispose();
  await td.stop();
});

function failure(result: BridgeResult) {
  assert.equal(result.ok, false, JSON.stringify(result));
  return (result as Extract<BridgeResult, { ok: false }>).error;
}

test('registers exactly one handler per bridge method, on its derived channel, and the connection state', () => {
  assert.deepEqual(
    [...ipc.handlers.keys()].sort(),
    [
      ...Object.keys(BRIDGE_METHODS).map((m) => bridgeChannel(m as keyof typeof BRIDGE_METHODS)),
      CONNECTION_CHANNEL,
    ].sort(),
  );
});

test('unknown channels are rejected', async () => {
  for (const channel of ['warden:nope', 'warden:__proto__', 'warden:toString', 'other:status', 'status']) {
    const error = failure(await bridge.dispatch(channel, appFrame, []));
    assert.equal(error.name, 'UnknownChannel');
    assert.equal(error.status, 404);
  }
  await assert.rejects(ipc.invoke('warden:nope', appFrame), /No handler registered/);
});

test('calls from a frame that is not the app (remote content) are refused', async () => {
  const remote: InvokeEventSurface = { sender: { id: 2 }, senderFrame: { url: 'https://evil.example/' } };
  const error = failure(await ipc.invoke(bridgeChannel('status'), remote));
  assert.equal(error.name, 'Forbidden');
  assert.equal(
    failure(await ipc.invoke(bridgeChannel('status'), { sender: { id: 3 }, senderFrame: null })).name,
    'Forbidden',
  );
});

test('a malformed body is rejected with a BridgeError naming the field', async () => {
  const error = failure(
    await ipc.invoke(bridgeChannel('answerApproval'), appFrame, {
      params: { id: 'a1' },
      body: { decision: 'maybe', scope: 'once', extra: 1 },
    }),
  );
  assert.equal(error.name, 'InvalidArguments');
  assert.equal(error.status, 400);
  const paths = error.errors?.map((e) => e.path) ?? [];
  assert.ok(paths.includes('body.decision'), paths.join());
  assert.ok(paths.includes('body.extra'), paths.join());
  assert.match(error.message, /body\.decision/);
});

test('malformed params, query and argument shapes are rejected before the daemon sees them', async () => {
  const cases: Array<[string, unknown[], string]> = [
    [bridgeChannel('answerApproval'), [{ body: { decision: 'allow', scope: 'once' } }], 'params.id'],
    [bridgeChannel('getSandbox'), [{ params: { sandboxId: 42 } }], 'params.sandboxId'],
    [bridgeChannel('status'), [{ params: { id: 'x' } }], 'params.id'],
    [bridgeChannel('auditPage'), [{ query: { limit: 5 } }], 'query.limit'],
    [bridgeChannel('status'), [{ body: { a: 1 } }], 'body'],
    [bridgeChannel('putSecret'), [{ params: { name: 'gh' } }], 'body'],
    [bridgeChannel('createSandbox'), [{ body: { kind: 'host', cpus: 2 } }], 'body.cpus'],
    [bridgeChannel('status'), [{ sneaky: true }], 'sneaky'],
    [bridgeChannel('status'), ['string'], '(arguments)'],
  ];
  for (const [channel, args, field] of cases) {
    const error = failure(await ipc.invoke(channel, appFrame, ...args));
    assert.equal(error.name, 'InvalidArguments', channel);
    assert.ok(
      error.errors?.some((e) => e.path === field),
      `${channel}: ${JSON.stringify(error.errors)}`,
    );
  }
  assert.equal(failure(await ipc.invoke(bridgeChannel('status'), appFrame, {}, {})).name, 'InvalidArguments');
});

test('a valid call is forwarded to the real daemon and its answer returned', async () => {
  const status = await ipc.invoke(bridgeChannel('status'), appFrame);
  assert.equal(status.ok, true);
  assert.equal((status as { value: { pid: number } }).value.pid, process.pid);

  const created = await ipc.invoke(bridgeChannel('createSandbox'), appFrame, {
    body: { kind: 'host', label: 'from-ipc' },
  });
  assert.equal(created.ok, true, JSON.stringify(created));
  const list = await ipc.invoke(bridgeChannel('listSandboxes'), appFrame);
  assert.ok(
    (list as { value: Array<{ kind: string; label: string }> }).value.some(
      (s) => s.kind === 'host' && s.label === 'from-ipc',
    ),
  );
});

test("the daemon's errors cross the boundary with name, status and message", async () => {
  const error = failure(
    await ipc.invoke(bridgeChannel('answerApproval'), appFrame, {
      params: { id: 'no-such-approval' },
      body: { decision: 'allow', scope: 'once' },
    }),
  );
  assert.equal(error.status, 404);
  assert.ok(error.name && error.name !== 'Error', error.name);
  assert.ok(error.message.length > 0);

  const policy = failure(
    await ipc.invoke(bridgeChannel('applyPolicy'), appFrame, {
      body: { layer: 'base', yaml: 'spec: [nope' },
    }),
  );
  assert.equal(policy.status, 400);
  assert.ok(Array.isArray(policy.errors) && policy.errors.length > 0, JSON.stringify(policy));
});

test('a daemon that is down gives DaemonUnavailable (503) with its hint', async () => {
  const down = new IpcBridge({
    ipcMain: new FakeIpcMain(),
    getClient: async () => {
      throw Object.assign(new Error('the Warden daemon is error'), {
        name: 'DaemonUnavailable',
        hint: 'see its log',
      });
    },
  });
  const error = failure(await down.dispatch(bridgeChannel('status'), appFrame, []));
  assert.deepEqual(error, {
    name: 'DaemonUnavailable',
    message: 'the Warden daemon is error',
    hint: 'see its log',
    status: 503,
  });
});

test('daemon events are streamed to a subscribed window on the event channel', async () => {
  const hub = new EventHub({ getClient: async () => td.client });
  const sent: Array<[string, WardenEvent]> = [];
  let destroyed: (() => void) | undefined;
  const wc = {
    id: 9,
    send: (channel: string, event: WardenEvent) => sent.push([channel, event]),
    isDestroyed: () => false,
    once: (_e: 'destroyed', l: () => void) => {
      destroyed = l;
    },
  } as unknown as WebContentsSurface;
  forwardEvents(hub, wc);
  await until('stream open', () => hub.connected);
  await td.client.call('POST /v1/sandboxes', { body: { kind: 'host', label: 'evented' } });
  await until('user.action event', () => sent.some(([, e]) => e.type === 'user.action'));
  const events = sent.filter(([c]) => c === EVENT_CHANNEL);
  assert.ok(events.length > 0);
  assert.deepEqual(
    sent.filter(([c]) => c !== EVENT_CHANNEL),
    [[CONNECTION_CHANNEL, 'open']],
    'the stream opening is sent as its state',
  );
  destroyed?.();
  const count = sent.length;
  await td.client.call('POST /v1/sandboxes', { body: { kind: 'host', label: 'after-close' } });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sent.length, count, 'nothing is sent to a destroyed window');
  await hub.stop();
});

test('the event stream reconnects with backoff when the daemon is unreachable', async () => {
  let calls = 0;
  const delays: number[] = [];
  const hub = new EventHub({
    getClient: async () => {
      calls++;
      if (calls < 4) throw new Error('down');
      return td.client;
    },
    backoff: { initialMs: 10, maxMs: 20 },
    clock: {
      now: Date.now,
      setTimeout: (fn, ms) => {
        delays.push(ms);
        return setTimeout(fn, ms);
      },
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    },
  });
  hub.start();
  await until('connected after retries', () => hub.connected);
  assert.deepEqual(delays.slice(0, 3), [10, 20, 20]);
  await hub.stop();
});
