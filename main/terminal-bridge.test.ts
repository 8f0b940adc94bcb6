import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { TERMINAL_CHANNELS, type TerminalSize } from '../supervisor/api/terminal.ts';
import { ApiClientError, type ExecSession } from '../supervisor/client/api-client.ts';
import type { InvokeEventSurface, IpcMainSurface } from './electron-surface.ts';
import type { BridgeResult } from './ipc-envelope.ts';
import { TerminalBridge } from './terminal-bridge.ts';

class FakeIpcMain implements IpcMainSurface {
  handlers = new Map<string, (event: InvokeEventSurface, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: InvokeEventSurface, ...args: unknown[]) => unknown): void {
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  async invoke(channel: string, event: InvokeEventSurface, ...args: unknown[]): Promise<BridgeResult> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return (await h(event, ...args)) as BridgeResult;
  }
}

class FakeExec implements ExecSession {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly started: Promise<number>;
  readonly exited: Promise<{ code: number | null; signal: string | null; error?: string }>;
  written: string[] = [];
  resized: Array<[number, number]> = [];
  detached = 0;
  exit!: (s: { code: number | null; signal: string | null; error?: string }) => void;
  constructor(started: Promise<number> = Promise.resolve(42)) {
    this.started = started;
    this.started.catch(() => {});
    this.exited = new Promise((resolve) => {
      this.exit = resolve;
    });
  }
  write(data: Uint8Array | string): void {
    this.written.push(String(data));
  }
  end(): void {}
  resize(rows: number, cols: number): void {
    this.resized.push([rows, cols]);
  }
  kill(): void {}
  detach(): void {
    this.detached++;
  }
}

const win = (id: number): InvokeEventSurface => ({
  sender: { id },
  senderFrame: { url: 'file:///app/dist/renderer/index.html' },
});

function setup(openExec?: (sandboxId: string, size: TerminalSize) => Promise<ExecSession>) {
  const ipc = new FakeIpcMain();
  const sent: Array<[number, string, unknown[]]> = [];
  const execs: FakeExec[] = [];
  const opened: Array<[string, TerminalSize]> = [];
  let gone = new Set<number>();
  const bridge = new TerminalBridge({
    ipcMain: ipc,
    openExec:
      openExec ??
      (async (sandboxId, size) => {
        opened.push([sandboxId, size]);
        const e = new FakeExec();
        execs.push(e);
        return e;
      }),
    send: (senderId, channel, ...args) => {
      if (gone.has(senderId)) return false;
      sent.push([senderId, channel, args]);
      return true;
    },
  });
  bridge.register();
  return {
    ipc,
    bridge,
    sent,
    execs,
    opened,
    goAway: (id: number) => {
      gone = new Set([...gone, id]);
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('registers exactly the terminal channels main answers', () => {
  const { ipc, bridge } = setup();
  assert.deepEqual(
    [...ipc.handlers.keys()].sort(),
    [
      TERMINAL_CHANNELS.open,
      TERMINAL_CHANNELS.input,
      TERMINAL_CHANNELS.resize,
      TERMINAL_CHANNELS.close,
    ].sort(),
  );
  bridge.dispose();
  assert.equal(ipc.handlers.size, 0);
});

test('open attaches, streams output and exit to the window that opened it; input and resize reach the shell', async () => {
  const { ipc, sent, execs, opened, bridge } = setup();
  const r = await ipc.invoke(TERMINAL_CHANNELS.open, win(1), 't1', 'sb-1', { cols: 90, rows: 20 });
  assert.deepEqual(r, { ok: true, value: { terminalId: 't1' } });
  assert.deepEqual(opened, [['sb-1', { cols: 90, rows: 20 }]]);
  const exec = execs[0]!;
  exec.stdout.write(Buffer.from('$ '));
  await tick();
  assert.deepEqual(sent, [[1, TERMINAL_CHANNELS.data, ['t1', new Uint8Array(Buffer.from('$ '))]]]);
  assert.ok(sent[0]![2][1] instanceof Uint8Array && !Buffer.isBuffer(sent[0]![2][1]), 'a plain Uint8Array');
  assert.equal((await ipc.invoke(TERMINAL_CHANNELS.input, win(1), 't1', 'ls\r')).ok, true);
  assert.equal((await ipc.invoke(TERMINAL_CHANNELS.resize, win(1), 't1', { cols: 120, rows: 40 })).ok, true);
  assert.deepEqual(exec.written, ['ls\r']);
  assert.deepEqual(exec.resized, [[40, 120]]);
  // Another window cannot reach this terminal by its id.
  assert.equal((await ipc.invoke(TERMINAL_CHANNELS.input, win(2), 't1', 'rm -rf /\r')).ok, false);
  assert.deepEqual(exec.written, ['ls\r']);
  exec.exit({ code: 3, signal: null });
  await tick();
  assert.deepEqual(sent.at(-1), [1, TERMINAL_CHANNELS.exit, ['t1', { code: 3, signal: null }]]);
  assert.equal(bridge.size, 0);
});

test('a lost connection is reported with its reason', async () => {
  const { ipc, sent, execs } = setup();
  await ipc.invoke(TERMINAL_CHANNELS.open, win(1), 't1', 'sb-1', { cols: 80, rows: 24 });
  execs[0]!.exit({ code: null, signal: null, error: 'the connection to the daemon was lost' });
  await tick();
  assert.deepEqual(sent.at(-1), [
    1,
    TERMINAL_CHANNELS.exit,
    ['t1', { code: null, signal: null, reason: 'the connection to the daemon was lost' }],
  ]);
});

test('arguments are validated before anything reaches the daemon', async () => {
  const { ipc, opened } = setup();
  const bad: unknown[][] = [
    [],
    ['t1', 'sb-1'],
    ['t1', 'sb-1', { cols: 80, rows: 24 }, 'extra'],
    ['../x', 'sb-1', { cols: 80, rows: 24 }],
    [7, 'sb-1', { cols: 80, rows: 24 }],
    ['t1', '', { cols: 80, rows: 24 }],
    ['t1', { toString: () => 'sb' }, { cols: 80, rows: 24 }],
    ['t1', 'sb-1', { cols: 0, rows: 24 }],
    ['t1', 'sb-1', { cols: 80.5, rows: 24 }],
    ['t1', 'sb-1', { cols: 80, rows: 5000 }],
    ['t1', 'sb-1', '80x24'],
  ];
  for (const args of bad) {
    const r = await ipc.invoke(TERMINAL_CHANNELS.open, win(1), ...args);
    assert.equal(r.ok, false, JSON.stringify(args));
    assert.equal(!r.ok && r.error.name, 'InvalidArguments', JSON.stringify(args));
  }
  assert.equal(opened.length, 0);
  await ipc.invoke(TERMINAL_CHANNELS.open, win(1), 't1', 'sb-1', { cols: 80, rows: 24 });
  const again = await ipc.invoke(TERMINAL_CHANNELS.open, win(1), 't1', 'sb-1', { cols: 80, rows: 24 });
  assert.equal(again.ok, false, 'an id in use is refused');
  const huge = await ipc.invoke(TERMINAL_CHANNELS.input, win(1), 't1', 'x'.repeat(70_000));
  assert.equal(!huge.ok && huge.error.name, 'InvalidArguments');
  const notText = await ipc.invoke(TERMINAL_CHANNELS.input, win(1), 't1', { evil: true });
  assert.equal(!notText.ok && notText.error.name, 'InvalidArguments');
  const badResize = await ipc.invoke(TERMINAL_CHANNELS.resize, win(1), 't1', { cols: -1, rows: 2 });
  assert.equal(!badResize.ok && badResize.error.name, 'InvalidArguments');
  const unknown = await ipc.invoke(TERMINAL_CHANNELS.input, win(1), 'nope', 'ls');
  assert.equal(!unknown.ok && unknown.error.name, 'UnknownTerminal');
});

test('calls from anything but the app window are refused', async () => {
  const { ipc, opened } = setup();
  const remote: InvokeEventSurface = { sender: { id: 9 }, senderFrame: { url: 'https://evil.example/' } };
  for (const channel of Object.values(TERMINAL_CHANNELS).filter(
    (c) => c !== TERMINAL_CHANNELS.data && c !== TERMINAL_CHANNELS.exit,
  )) {
    const r = await ipc.invoke(channel, remote, 't1', 'sb-1', { cols: 80, rows: 24 });
    assert.equal(!r.ok && r.error.name, 'Forbidden', channel);
  }
  assert.equal(opened.length, 0);
});

test('a refusal by the daemon comes back with its name, status and hint', async () => {
  const { ipc } = setup(async () => {
    throw new ApiClientError(409, {
      name: 'SandboxNotRunning',
      message: 'sandbox sb-1 is stopped',
      hint: 'see its console with: warden logs sb-1',
    });
  });
  const r = await ipc.invoke(TERMINAL_CHANNELS.open, win(1), 't1', 'sb-1', { cols: 80, rows: 24 });
  assert.deepEqual(r, {
    ok: false,
    error: {
      name: 'SandboxNotRunning',
      message: 'sandbox sb-1 is stopped',
      status: 409,
      hint: 'see its console with: warden logs sb-1',
    },
  });
  const notStarted = new FakeExec(Promise.reject(new Error('no such command')));
  const second = setup(async () => notStarted);
  const r2 = await second.ipc.invoke(TERMINAL_CHANNELS.open, win(1), 't1', 'sb-1', { cols: 80, rows: 24 });
  assert.equal(!r2.ok && r2.error.message, 'no such command');
  assert.equal(notStarted.detached, 1, 'the half-open attachment is dropped');
});

test('close, a window going away and dispose hang the shells up', async () => {
  const { ipc, execs, bridge, sent, goAway } = setup();
  await ipc.invoke(TERMINAL_CHANNELS.open, win(1), 'a', 'sb-1', { cols: 80, rows: 24 });
  await ipc.invoke(TERMINAL_CHANNELS.open, win(1), 'b', 'sb-1', { cols: 80, rows: 24 });
  await ipc.invoke(TERMINAL_CHANNELS.open, win(2), 'a', 'sb-1', { cols: 80, rows: 24 });
  await ipc.invoke(TERMINAL_CHANNELS.open, win(3), 'c', 'sb-1', { cols: 80, rows: 24 });
  assert.equal(bridge.size, 4);
  await ipc.invoke(TERMINAL_CHANNELS.close, win(1), 'a');
  assert.deepEqual(
    execs.map((e) => e.detached),
    [1, 0, 0, 0],
  );
  bridge.closeAllFor(1);
  assert.deepEqual(
    execs.map((e) => e.detached),
    [1, 1, 0, 0],
  );
  // A window that cannot be sent to any more: its shell is dropped on the next output.
  goAway(3);
  execs[3]!.stdout.write('late');
  await tick();
  assert.equal(execs[3]!.detached, 1);
  bridge.dispose();
  assert.deepEqual(
    execs.map((e) => e.detached),
    [1, 1, 1, 1],
  );
  execs[2]!.exit({ code: 0, signal: null });
  await tick();
  assert.ok(
    !sent.some(([, c]) => c === TERMINAL_CHANNELS.exit),
    'no exit is sent for a shell that was closed',
  );
});
