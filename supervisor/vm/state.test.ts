import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LifecycleState } from '../api/lifecycle.ts';
import { type StateChange, VmStateMachine } from './state.ts';

test('the lifecycle moves STOPPED → STARTING → RUNNING → STOPPING → STOPPED and emits each change', () => {
  const sm = new VmStateMachine(() => 42);
  const seen: StateChange[] = [];
  const off = sm.onChange((c) => seen.push(c));
  sm.move(LifecycleState.STARTING);
  sm.move(LifecycleState.RUNNING);
  sm.move(LifecycleState.STOPPING);
  sm.move(LifecycleState.STOPPED);
  off();
  sm.move(LifecycleState.STARTING);
  assert.deepEqual(
    seen.map((c) => `${c.from}>${c.to}`),
    ['STOPPED>STARTING', 'STARTING>RUNNING', 'RUNNING>STOPPING', 'STOPPING>STOPPED'],
  );
  assert.equal(seen[0]!.at, 42);
});

test('ERROR carries its reason; impossible moves throw', () => {
  const sm = new VmStateMachine();
  assert.throws(() => sm.move(LifecycleState.RUNNING), /cannot go from STOPPED to RUNNING/);
  sm.move(LifecycleState.STARTING);
  sm.move(LifecycleState.ERROR, 'QEMU exited (signal SIGKILL)');
  assert.equal(sm.state, 'ERROR');
  assert.equal(sm.reason, 'QEMU exited (signal SIGKILL)');
  assert.equal(sm.canMove(LifecycleState.RUNNING), false);
  sm.move(LifecycleState.STOPPED);
});
