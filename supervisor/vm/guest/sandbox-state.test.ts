// A restored guest's setup, in order and failing loudly: randomness first, then the clock,
// then the shares, each a real command line (watched here, run by the guest in test/vm).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applySandboxState, type GuestSystem } from './sandbox-state.ts';

function recorder(fail: (file: string, args: string[]) => boolean = () => false) {
  const calls: string[] = [];
  const sys: GuestSystem = {
    run(file, args, input) {
      calls.push(
        `run ${file} ${args.join(' ')}${input ? `< ${input.readBigInt64LE(0)}.${input.readBigInt64LE(8)}` : ''}`,
      );
      return fail(file, args) ? { status: 1, stderr: 'no such device\n' } : { status: 0, stderr: '' };
    },
    writeFile: (file, data) => calls.push(`write ${file} ${data.length}`),
    mkdir: (dir) => calls.push(`mkdir ${dir}`),
    symlink: (target, link) => calls.push(`link ${link} -> ${target}`),
  };
  return { calls, sys };
}

const entropy = Buffer.alloc(64, 7).toString('base64');

test('setup reseeds, sets the clock, then mounts the shares asked for', () => {
  const { calls, sys } = recorder();
  applySandboxState(
    { entropy, clockMs: 1_800_000_000_400, mounts: { workspace: 'ro', agents: true, home: true } },
    sys,
    '/bb',
  );
  const o = 'trans=virtio,version=9p2000.L,msize=262144';
  assert.deepEqual(calls, [
    'write /dev/urandom 64',
    'run /opt/warden/bin/reseed ',
    'run /opt/warden/bin/set-clock < 1800000000.400000000',
    'mkdir /opt/warden-home',
    `run /bb mount -t 9p -o ${o} home /opt/warden-home`,
    'mkdir /opt/warden-home/.claude',
    'link /root/.claude -> /opt/warden-home/.claude',
    'mkdir /opt/warden-home/.codex',
    'link /root/.codex -> /opt/warden-home/.codex',
    'mkdir /opt/agents',
    `run /bb mount -t 9p -o ${o},ro agents /opt/agents`,
    'mkdir /workspace',
    `run /bb mount -t 9p -o ${o},ro ws /workspace`,
  ]);
});

test('a read-write workspace alone is mounted without ro', () => {
  const { calls, sys } = recorder();
  applySandboxState({ mounts: { workspace: 'rw' } }, sys, '/bb');
  assert.deepEqual(calls, [
    'mkdir /workspace',
    'run /bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ws /workspace',
  ]);
});

test('each failure fails the setup with its reason, and stops there', () => {
  const reseed = recorder((file) => file.endsWith('reseed'));
  assert.throws(
    () => applySandboxState({ entropy, clockMs: 1 }, reseed.sys, '/bb'),
    /reseed failed \(errno 1\)/,
  );
  assert.equal(reseed.calls.length, 2, 'no clock after a failed reseed');
  const mount = recorder((_file, args) => args[0] === 'mount');
  assert.throws(
    () => applySandboxState({ mounts: { workspace: 'rw', agents: true } }, mount.sys, '/bb'),
    /cannot mount agents at \/opt\/agents: no such device/,
  );
  assert.throws(() => applySandboxState({ entropy: 'c2hvcnQ=' }, recorder().sys, '/bb'), /5 random bytes/);
  assert.throws(() => applySandboxState({ clockMs: Number.NaN }, recorder().sys, '/bb'), /bad clock/);
  assert.throws(
    () => applySandboxState({ mounts: { workspace: 'x' as 'rw' } }, recorder().sys, '/bb'),
    /bad workspace mode/,
  );
});
