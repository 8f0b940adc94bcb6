import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildQemuArgs,
  defaultProxyConnectCommand,
  kernelCommandLine,
  type QemuLaunchSpec,
} from './qemu-args.ts';

const base: QemuLaunchSpec = {
  accel: 'tcg',
  kernelPath: '/img/vmlinux',
  initrdPath: '/img/initrd.cpio',
  cpus: 2,
  memoryMiB: 768,
  proxyPort: 41234,
  proxyConnectCommand: defaultProxyConnectCommand('/usr/bin/busybox'),
  controlSocket: '/run/vm-a/ctl.sock',
  consoleLog: '/run/vm-a/console.log',
  pidFile: '/run/vm-a/qemu.pid',
};

function after(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
}

test('microvm under TCG with limits, restricted network to the proxy and a control port', () => {
  const args = buildQemuArgs(base);
  assert.match(after(args, '-M')[0]!, /^microvm,/);
  assert.deepEqual(after(args, '-accel'), ['tcg,tb-size=256'], 'a bounded translation cache');
  assert.deepEqual(after(args, '-cpu'), ['max']);
  assert.deepEqual(after(args, '-m'), ['768M']);
  assert.deepEqual(after(args, '-smp'), ['2']);
  for (const f of ['-nodefaults', '-no-user-config', '-nographic', '-no-reboot'])
    assert.ok(args.includes(f), f);
  assert.deepEqual(after(args, '-netdev'), [
    'user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:3128-cmd:/usr/bin/busybox nc 127.0.0.1 41234',
  ]);
  const devices = after(args, '-device');
  assert.ok(devices.includes('virtio-net-device,netdev=n0'));
  assert.ok(devices.includes('virtio-balloon-device,free-page-reporting=on'), 'freed guest pages go back');
  assert.ok(devices.includes('virtserialport,chardev=ctl,name=warden.ctl'));
  assert.ok(after(args, '-chardev').includes('socket,id=ctl,path=/run/vm-a/ctl.sock,server=on,wait=off'));
  assert.equal(after(args, '-fsdev').length, 0);
  const append = after(args, '-append')[0]!;
  for (const p of [
    'console=hvc0',
    'tsc_early_khz=2000000',
    'mitigations=off',
    'nokaslr',
    'random.trust_cpu=on',
  ]) {
    assert.ok(append.split(' ').includes(p), p);
  }
});

test('KVM uses the host CPU; workspaces are 9p, read-only when asked', () => {
  const rw = buildQemuArgs({ ...base, accel: 'kvm', workspace: { hostPath: '/home/me/p', readOnly: false } });
  assert.deepEqual(after(rw, '-cpu'), ['host']);
  assert.deepEqual(after(rw, '-accel'), ['kvm']);
  assert.deepEqual(after(rw, '-fsdev'), ['local,id=ws,path=/home/me/p,security_model=none']);
  assert.ok(after(rw, '-device').includes('virtio-9p-device,fsdev=ws,mount_tag=ws'));
  assert.match(after(rw, '-append')[0]!, /warden\.ws=rw/);
  const ro = buildQemuArgs({ ...base, workspace: { hostPath: '/p', readOnly: true } });
  assert.deepEqual(after(ro, '-fsdev'), ['local,id=ws,path=/p,security_model=none,readonly=on']);
  assert.match(kernelCommandLine({ workspace: { hostPath: '/p', readOnly: true } }), /warden\.ws=ro/);
});

test('values that would inject QEMU options are refused', () => {
  assert.throws(() => buildQemuArgs({ ...base, workspace: { hostPath: '/a,b', readOnly: false } }), /comma/);
  assert.throws(() => buildQemuArgs({ ...base, controlSocket: '/x,server=off' }), /comma/);
  assert.throws(() => buildQemuArgs({ ...base, proxyConnectCommand: ['nc', 'a,b'] }), /not allowed/);
  assert.throws(() => buildQemuArgs({ ...base, cpus: 0 }), /cpus/);
  assert.throws(() => buildQemuArgs({ ...base, memoryMiB: 64 }), /memory/);
  assert.throws(() => buildQemuArgs({ ...base, proxyPort: 70000 }), /port/);
  assert.throws(() => kernelCommandLine({ extraKernelParams: ['a b'] }), /spaces/);
});

test('a root filesystem disk is attached read-only as a virtio block device', () => {
  const args = buildQemuArgs({ ...base, rootfsPath: '/img/rootfs.ext4' });
  assert.deepEqual(after(args, '-drive'), ['file=/img/rootfs.ext4,if=none,id=root,format=raw,readonly=on']);
  assert.ok(after(args, '-device').includes('virtio-blk-device,drive=root'));
  assert.deepEqual(after(buildQemuArgs(base), '-drive'), []);
  assert.throws(() => buildQemuArgs({ ...base, rootfsPath: '/img/a,b.ext4' }), /must not contain a comma/);
});

test('a sandbox disk is a second virtio disk the guest finds by its serial; agents are shared read-only', () => {
  const args = buildQemuArgs({
    ...base,
    rootfsPath: '/img/rootfs.ext4',
    diskPath: '/run/vm-a/disk.img',
    agentsPath: '/home/u/.warden/agents',
  });
  assert.deepEqual(after(args, '-drive'), [
    'file=/img/rootfs.ext4,if=none,id=root,format=raw,readonly=on',
    'file=/run/vm-a/disk.img,if=none,id=disk,format=raw',
  ]);
  assert.ok(after(args, '-device').includes('virtio-blk-device,drive=disk,serial=warden-disk'));
  assert.ok(
    after(args, '-fsdev').includes(
      'local,id=agents,path=/home/u/.warden/agents,security_model=none,readonly=on',
    ),
  );
  const cmdline = after(args, '-append')[0]!;
  assert.match(cmdline, / warden\.disk=1/);
  assert.match(cmdline, / warden\.agents=1/);
  assert.doesNotMatch(kernelCommandLine({}), /warden\.(disk|agents)/);
  assert.throws(() => buildQemuArgs({ ...base, diskPath: '/run/x,readonly=off' }), /comma/);
  assert.throws(() => buildQemuArgs({ ...base, agentsPath: '/a,readonly=off' }), /comma/);
});

test('a template boot has the share devices but mounts none; its RAM is a shared file', () => {
  const shares = {
    diskPath: '/t/disk.img',
    workspace: { hostPath: '/t/empty', readOnly: false },
    agentsPath: '/t/empty',
    agentHomePath: '/t/empty',
  };
  const template = buildQemuArgs({
    ...base,
    ...shares,
    template: true,
    ramFile: { path: '/t/ram', shared: true },
    qmpSocket: '/t/qmp.sock',
  });
  const cmdline = after(template, '-append')[0]!;
  assert.match(cmdline, / warden\.disk=1 warden\.template=1$/);
  assert.doesNotMatch(cmdline, /warden\.(ws|agents|home)=/);
  assert.equal(after(template, '-device').filter((d) => d.startsWith('virtio-9p-device')).length, 3);
  assert.match(after(template, '-M')[0]!, /,memory-backend=mem$/);
  assert.deepEqual(after(template, '-object'), [
    'memory-backend-file,id=mem,size=768M,mem-path=/t/ram,share=on',
  ]);
  assert.deepEqual(after(template, '-qmp'), ['unix:/t/qmp.sock,server=on,wait=off']);
  assert.deepEqual(after(template, '-incoming'), []);
  const restore = buildQemuArgs({
    ...base,
    ...shares,
    template: true,
    ramFile: { path: '/t/ram', shared: false },
    incoming: true,
  });
  assert.deepEqual(after(restore, '-object'), [
    'memory-backend-file,id=mem,size=768M,mem-path=/t/ram,share=off',
  ]);
  assert.deepEqual(after(restore, '-incoming'), ['defer']);
  assert.throws(() => buildQemuArgs({ ...base, ramFile: { path: '/t/a,b', shared: true } }), /comma/);
});
