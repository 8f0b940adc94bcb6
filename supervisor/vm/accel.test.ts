import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccelProbe } from './accel.ts';

test('KVM is chosen only when the probe boot succeeds, and the answer is cached', async () => {
  let boots = 0;
  const probe = new AccelProbe({
    platform: 'linux',
    kvmDevice: '/dev/null',
    kvmBootTest: async () => {
      boots++;
      return 180;
    },
  });
  const a = await probe.get();
  const b = await probe.get();
  assert.deepEqual(a, { accel: 'kvm', reason: 'a KVM probe boot reached the guest agent in 180 ms' });
  assert.equal(b, a);
  assert.equal(boots, 1);
});

test('a hanging KVM falls back to TCG and says why', async () => {
  const probe = new AccelProbe({
    platform: 'linux',
    kvmDevice: '/dev/null',
    deadlineMs: 50,
    kvmBootTest: async () => {
      throw new Error('boot deadline of 50 ms passed');
    },
  });
  const c = await probe.get();
  assert.equal(c.accel, 'tcg');
  assert.match(c.reason, /did not reach the guest agent within 50 ms/);
});

test('no /dev/kvm, macOS and forced choices', async () => {
  const never = async (): Promise<number> => assert.fail('no probe boot expected');
  const noKvm = await new AccelProbe({
    platform: 'linux',
    kvmDevice: '/nonexistent/kvm',
    kvmBootTest: never,
  }).get();
  assert.equal(noKvm.accel, 'tcg');
  assert.match(noKvm.reason, /ENOENT/);
  assert.equal((await new AccelProbe({ platform: 'darwin', kvmBootTest: never }).get()).accel, 'hvf');
  assert.deepEqual(await new AccelProbe({ force: 'tcg', kvmBootTest: never }).get(), {
    accel: 'tcg',
    reason: 'forced by settings (tcg)',
  });
});
