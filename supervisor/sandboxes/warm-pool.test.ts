import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LifecycleState } from '../api/lifecycle.ts';
import type { ProxyListener } from '../proxy/index.ts';
import type { StateChange, Vm, VmImage } from '../vm/index.ts';
import { WarmPool } from './warm-pool.ts';

const image = { id: 'img1' } as VmImage;
const log = { info() {}, warn() {}, error() {} };

function fakeVm(id: string): Vm & { fail(reason: string): void } {
  const listeners = new Set<(c: StateChange) => void>();
  let state: LifecycleState = LifecycleState.RUNNING;
  return {
    id,
    get state() {
      return state;
    },
    onStateChanged(l: (c: StateChange) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    fail(reason: string) {
      const c = { from: state, to: LifecycleState.ERROR, reason, at: Date.now() };
      state = LifecycleState.ERROR;
      for (const l of [...listeners]) l(c);
    },
  } as unknown as Vm & { fail(reason: string): void };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

test('the pool boots up to its size, hands a VM over once, and refills a moment later', async () => {
  let n = 0;
  const discarded: string[] = [];
  const pool = new WarmPool({
    size: 1,
    boot: async () => ({ vm: fakeVm(`v${++n}`), listener: {} as ProxyListener, image }),
    discard: async (p) => {
      discarded.push(p.vm.id);
    },
    log,
    refillDelayMs: 60,
  });
  pool.fill();
  await tick();
  assert.deepEqual(pool.status(), { size: 1, ready: 1, booting: 0 });
  assert.equal(pool.take('other-image'), undefined, 'only a VM of the asked image is handed over');
  const taken = pool.take('img1');
  assert.equal(taken?.vm.id, 'v1');
  await tick();
  assert.equal(n, 1, 'no boot competes with the handed-over VM right away');
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(pool.status().ready, 1, 'refilled in the background');
  assert.equal(pool.take('img1')?.vm.id, 'v2');
  await new Promise((r) => setTimeout(r, 80));
  await pool.stop();
  assert.deepEqual(discarded, ['v3']);
});

test('a pooled VM that fails is dropped and replaced; a failed boot is retried later, not in a loop', async () => {
  let n = 0;
  let failNext = false;
  const vms: ReturnType<typeof fakeVm>[] = [];
  const pool = new WarmPool({
    size: 1,
    boot: async () => {
      if (failNext) throw new Error('QEMU not found');
      const vm = fakeVm(`v${++n}`);
      vms.push(vm);
      return { vm, listener: {} as ProxyListener, image };
    },
    discard: async () => {},
    log,
  });
  pool.fill();
  await tick();
  failNext = true;
  vms[0]!.fail('QEMU exited unexpectedly');
  await tick();
  assert.equal(pool.status().ready, 0);
  assert.match(pool.status().lastError ?? '', /QEMU not found/);
  let boots = n;
  await tick();
  assert.equal(n, boots, 'no retry before the backoff');
  await pool.stop();
  failNext = false;
  pool.fill();
  boots = n;
  await tick();
  assert.equal(n, boots, 'a stopped pool boots nothing');
});

test('stop() abandons a boot in progress: its signal aborts, and that is not counted as a failure', async () => {
  const warned: string[] = [];
  let aborted = false;
  const pool = new WarmPool({
    size: 1,
    boot: (signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          aborted = true;
          reject(signal.reason);
        });
      }),
    discard: async () => {},
    log: { ...log, warn: (m: string) => void warned.push(m) },
  });
  pool.fill();
  await tick();
  assert.equal(pool.status().booting, 1);
  await pool.stop();
  assert.equal(aborted, true);
  assert.deepEqual(warned, []);
  assert.deepEqual(pool.status(), { size: 1, ready: 0, booting: 0 });
});

test('size 0 disables the pool', async () => {
  let boots = 0;
  const pool = new WarmPool({
    size: 0,
    boot: async () => {
      boots++;
      return undefined;
    },
    discard: async () => {},
    log,
  });
  pool.fill();
  await tick();
  assert.equal(boots, 0);
  assert.equal(pool.take('img1'), undefined);
});
