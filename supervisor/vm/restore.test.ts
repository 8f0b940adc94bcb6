// The pure parts of a restore: the QEMU arguments a template and its copies share (unused
// shares on an empty read-only folder) and what the agent is asked to mount.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VmImage } from './image/manifest.ts';
import { guestMounts } from './restore.ts';
import { type SnapshotLaunch, snapshotQemuArgs } from './template-args.ts';

const image = {
  id: 'i',
  dir: '/img',
  name: 'minimal',
  kernelPath: '/img/k',
  initrdPath: '/img/i',
} as VmImage;
const launch: SnapshotLaunch = {
  shape: { image, accel: 'tcg', cpus: 1, memoryMiB: 512, diskMiB: 1024 },
  proxyPort: 4000,
  proxyConnectCommand: ['nc', '127.0.0.1', '{port}'],
  controlSocket: '/r/ctl.sock',
  consoleLog: '/r/console.log',
  pidFile: '/r/qemu.pid',
  qmpSocket: '/r/qmp.sock',
  diskPath: '/r/disk.img',
  ramFile: { path: '/t/ram', shared: false },
  incoming: true,
  emptyDir: '/r/empty',
};
const fsdevs = (args: string[]) => args.filter((_, i) => args[i - 1] === '-fsdev');

test('unused shares point at the empty folder, read-only; given ones at their folders', () => {
  assert.deepEqual(fsdevs(snapshotQemuArgs(launch)), [
    'local,id=ws,path=/r/empty,security_model=none,readonly=on',
    'local,id=agents,path=/r/empty,security_model=none,readonly=on',
    'local,id=home,path=/r/empty,security_model=none,readonly=on',
  ]);
  const given = snapshotQemuArgs({
    ...launch,
    workspace: { hostPath: '/w', readOnly: false },
    agentsPath: '/a',
    agentHomePath: '/h',
  });
  assert.deepEqual(fsdevs(given), [
    'local,id=ws,path=/w,security_model=none',
    'local,id=agents,path=/a,security_model=none,readonly=on',
    'local,id=home,path=/h,security_model=none',
  ]);
  const cmdline = given[given.indexOf('-append') + 1]!;
  assert.match(cmdline, /warden\.template=1$/, 'the same kernel command line whatever the shares');
  assert.ok(given.includes('-incoming'));
  assert.ok(given.some((a) => a.startsWith('file,id=con,path=/r/console.log,append=on')));
});

test('the agent mounts what the sandbox was given', () => {
  assert.deepEqual(guestMounts({}), {});
  assert.deepEqual(
    guestMounts({ workspace: { hostPath: '/w', readOnly: true }, agentsPath: '/a', agentHomePath: '/h' }),
    {
      workspace: 'ro',
      agents: true,
      home: true,
    },
  );
  assert.deepEqual(guestMounts({ workspace: { hostPath: '/w', readOnly: false } }), { workspace: 'rw' });
});
