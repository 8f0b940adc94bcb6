import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type StateChange, VmState, VmStateMachine } from './state.ts';

test('the lifecycle moves STOPPED → STARTING → RUNNING → STOPPING → STOPPED and emits each change', () => {
  const sm = new VmStateMachine(() => 42);
  const seen: StateChange[] = [];
  const off = sm.onChange((c) => seen.push(c));
  sm.move(VmState.starting);
  sm.move(VmState.running);
  sm.move(VmState.stopping);
  sm.move(VmState.stopped);
  off();
  sm.move(VmState.starting);
  assert.deepEqual(
    seen.map((c) => `${c.from}>${c.to}`),
    ['STOPPED>STARTING', 'STARTING>RUNNING', 'RUNNING>STOPPING', 'STOPPING>STOPPED'],
  );
  assert.equal(seen[0]!.at, 42);
});

test('ERROR carries its reason; impossible moves throw', () => {
  const sm = new VmStateMachine();
  assert.throws(() => sm.move(VmState.running), /cannot go from STOPPED to RUNNING/);
  sm.move(VmState.starting);
  sm.move(VmState.error, 'QEMU exited (signal SIGKILL)');
  assert.equal(sm.state, 'ERROR');
  assert.equal(sm.reason, 'QEMU exited (signal SIGKILL)');
  assert.equal(sm.canMove(VmState.running), false);
  sm.move(VmState.stopped);
});
