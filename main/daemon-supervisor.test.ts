import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { StatusResponse } from '../supervisor/api/messages.ts';
import {
  type Clock,
  type DaemonApi,
  type DaemonProcess,
  DaemonState,
  DaemonSupervisor,
  type DaemonSupervisorOptions,
} from './daemon-supervisor.ts';

class FakeChild extends EventEmitter implements DaemonProcess {
  constructor(readonly pid: number) {
    super();
  }
  override once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this {
    return super.once(event, listener);
  }
  unref(): void {}
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.emit('exit', code, signal);
  }
}

/** A pretend machine: which pid answers the API, which pids are alive, what signals do. */
class World {
  answering: number | undefined;
  alive = new Map<number, FakeChild | undefined>();
  spawned: FakeChild[] = [];
  signals: Array<[number, NodeJS.Signals | 0]> = [];
  nextPid = 1000;
  /** What a freshly spawned daemon does: 'boot' answers, 'die' exits at once with code 1. */
  onSpawn: Array<'boot' | 'die'> = [];
  ignoreTerm = false;

  client: DaemonApi = {
    call: (async (route: string) => {
      assert.equal(route, 'GET /v1/status');
      if (this.answering === undefined) throw new Error('ECONNREFUSED');
      return { pid: this.answering } as StatusResponse;
    }) as DaemonApi['call'],
    events: async () => {},
  };

  spawn = (): DaemonProcess => {
    const child = new FakeChild(this.nextPid++);
    this.spawned.push(child);
    this.alive.set(child.pid, child);
    const what = this.onSpawn.shift() ?? 'boot';
    if (what === 'boot') this.answering = child.pid;
    else setImmediate(() => this.die(child.pid, 1, null));
    return child;
  };

  die(pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    const child = this.alive.get(pid);
    this.alive.delete(pid);
    if (this.answering === pid) this.answering = undefined;
    child?.exit(code, signal);
  }

  signal = (pid: number, signal: NodeJS.Signals | 0): boolean => {
    this.signals.push([pid, signal]);
    if (!this.alive.has(pid)) return false;
    if (signal === 'SIGKILL' || (signal === 'SIGTERM' && !this.ignoreTerm)) {
      setImmediate(() => this.die(pid, null, signal));
    }
    return true;
  };
}

/** Real timers, shortened, with every requested delay recorded. */
function recordingClock(): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      delays.push(ms);
      return setTimeout(fn, Math.min(ms, 5));
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

function supervisor(world: World, extra: Partial<DaemonSupervisorOptions> = {}) {
  const clock = recordingClock();
  const states: string[] = [];
  const sup = new DaemonSupervisor({
    connect: async () => world.client,
    spawnDaemon: world.spawn,
    signal: world.signal,
    daemonLog: '/nonexistent/daemon.log',
    clock,
    pollMs: 1,
    healthIntervalMs: 1_000,
    startTimeoutMs: 200,
    stopTimeoutMs: 60,
    backoff: { initialMs: 100, maxMs: 400 },
    ...extra,
  });
  sup.on('state-changed', (c) => states.push(c.state));
  return { sup, clock, states };
}

async function until(what: string, fn: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

test('attaches to a daemon that already answers, without spawning', async () => {
  const world = new World();
  world.answering = 4242;
  world.alive.set(4242, undefined);
  const { sup, states } = supervisor(world);
  await sup.start();
  assert.equal(sup.state, DaemonState.RUNNING);
  assert.equal(sup.pid, 4242);
  assert.equal(world.spawned.length, 0);
  assert.deepEqual(states, ['STARTING', 'RUNNING']);
  assert.equal(await sup.client(), world.client);
  sup.detach();
  assert.equal(world.alive.has(4242), true, 'detach leaves the daemon running');
});

test('spawns `warden daemon` when none answers and becomes RUNNING once it answers', async () => {
  const world = new World();
  const { sup, states } = supervisor(world);
  await sup.start();
  assert.equal(world.spawned.length, 1);
  assert.equal(sup.state, DaemonState.RUNNING);
  assert.equal(sup.pid, world.spawned[0]!.pid);
  assert.deepEqual(states, ['STARTING', 'RUNNING']);
  sup.detach();
});

test('a crash restarts the daemon with doubling backoff, capped', async () => {
  const world = new World();
  world.onSpawn = ['die', 'die', 'die', 'die', 'boot'];
  const { sup, clock } = supervisor(world);
  const reasons: string[] = [];
  sup.on('state-changed', (c) => c.state === 'ERROR' && reasons.push(c.reason ?? ''));
  await sup.start();
  await until('RUNNING after four crashes', () => sup.state === DaemonState.RUNNING);
  assert.equal(world.spawned.length, 5);
  const restarts = clock.delays.filter((d) => d >= 100 && d < 1000);
  assert.deepEqual(restarts, [100, 200, 400, 400]);
  assert.match(reasons[0]!, /exited \(code 1\); restarting in 100 ms/);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10].map((a) => sup.backoffDelay(a)),
    [100, 200, 400, 400, 400, 400],
  );
  sup.detach();
});

test('a crash of the running daemon is noticed and it is restarted', async () => {
  const world = new World();
  const { sup } = supervisor(world);
  await sup.start();
  const first = world.spawned[0]!;
  world.die(first.pid, null, 'SIGSEGV');
  assert.equal(sup.state, DaemonState.ERROR);
  await until('restarted', () => sup.state === DaemonState.RUNNING);
  assert.equal(world.spawned.length, 2);
  assert.notEqual(sup.pid, first.pid);
  sup.detach();
});

test('a hung daemon is killed and replaced; the late exit of the old process is ignored', async () => {
  const world = new World();
  const { sup } = supervisor(world, { healthIntervalMs: 10, healthFailures: 2 });
  await sup.start();
  const old = world.spawned[0]!;
  // Hung: alive, but no longer answering; its exit will arrive only later.
  world.answering = undefined;
  const lateExit = old.listeners('exit').slice();
  world.alive.set(old.pid, undefined); // SIGKILL will not deliver an exit event now
  await until('replaced', () => world.spawned.length === 2 && sup.state === DaemonState.RUNNING);
  assert.ok(world.signals.some(([pid, s]) => pid === old.pid && s === 'SIGKILL'));
  const changes: string[] = [];
  sup.on('state-changed', (c) => changes.push(c.state));
  for (const l of lateExit) (l as (c: number | null, s: string | null) => void)(null, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(changes, [], 'the stale exit changed nothing');
  assert.equal(sup.state, DaemonState.RUNNING);
  assert.equal(world.spawned.length, 2);
  sup.detach();
});

test('stop asks with SIGTERM and waits; a daemon that exits is not killed', async () => {
  const world = new World();
  const { sup, states } = supervisor(world);
  await sup.start();
  const pid = sup.pid!;
  await sup.stop();
  assert.deepEqual(
    world.signals.filter(([p, s]) => p === pid && s !== 0).map(([, s]) => s),
    ['SIGTERM'],
  );
  assert.equal(sup.state, DaemonState.STOPPED);
  assert.deepEqual(states.slice(-2), ['STOPPING', 'STOPPED']);
  assert.equal(world.spawned.length, 1, 'a requested stop is not a crash: no restart');
});

test('stop kills a daemon that ignores SIGTERM after the stop timeout', async () => {
  const world = new World();
  world.ignoreTerm = true;
  const { sup } = supervisor(world, { stopTimeoutMs: 40 });
  await sup.start();
  const pid = sup.pid!;
  const began = Date.now();
  await sup.stop();
  assert.ok(Date.now() - began >= 35, 'waited before killing');
  assert.deepEqual(
    world.signals.filter(([p, s]) => p === pid && s !== 0).map(([, s]) => s),
    ['SIGTERM', 'SIGKILL'],
  );
  assert.equal(world.alive.has(pid), false);
  assert.equal(sup.state, DaemonState.STOPPED);
});

test('stop of an attached daemon (not our child) polls its pid', async () => {
  const world = new World();
  world.answering = 777;
  world.alive.set(777, undefined);
  const { sup } = supervisor(world);
  await sup.start();
  await sup.stop();
  assert.equal(world.alive.has(777), false);
  assert.equal(sup.state, DaemonState.STOPPED);
});

test('client() explains that the daemon is not running', async () => {
  const world = new World();
  const { sup } = supervisor(world);
  await assert.rejects(sup.client(), { name: 'DaemonUnavailable', message: /stopped/ });
});

test('tailLog returns the last lines of the daemon log', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-log-'));
  try {
    const log = path.join(dir, 'daemon.log');
    await writeFile(log, Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const sup = new DaemonSupervisor({
      connect: async () => {
        throw new Error('no');
      },
      spawnDaemon: () => new FakeChild(1),
      signal: () => false,
      daemonLog: log,
    });
    assert.equal(await sup.tailLog(3), 'line 497\nline 498\nline 499');
    const missing = new DaemonSupervisor({
      connect: async () => world().client,
      spawnDaemon: () => new FakeChild(1),
      signal: () => false,
      daemonLog: path.join(dir, 'none.log'),
    });
    assert.equal(await missing.tailLog(), '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

function world(): World {
  return new World();
}
