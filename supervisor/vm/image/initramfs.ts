// Stage 1 of every image: a small initramfs (static busybox, the kernel modules, /init)
// whose only job is to mount the root filesystem disk and switch to it. Kept small because
// the kernel copies all of it into RAM before /init runs, which costs seconds under TCG.

import { readFileSync } from 'node:fs';
import { type CpioEntry, withParentDirs, writeCpio } from './cpio.ts';
import { stage1Init } from './guest-files.ts';
import type { GuestKernel } from './guest-kernel.ts';
import { mustRun, type RunCommand } from './host-tools.ts';

/** The host's static busybox: its path and the applet paths it lists (bin/sh, sbin/init, ...). */
export function hostBusybox(run: RunCommand): { path: string; applets: string[] } {
  const r = run('sh', ['-c', 'command -v busybox']);
  const p = r.status === 0 ? r.stdout.trim() : '';
  if (!p) throw new Error('busybox is not installed (apt-get install busybox-static)');
  if (run('ldd', [p]).stdout.includes('=>')) throw new Error(`${p} is not static (install busybox-static)`);
  const applets = mustRun(run, p, ['--list-full'])
    .split('\n')
    .map((a) => a.trim())
    .filter((a) => a !== '' && a !== 'bin/busybox');
  return { path: p, applets };
}

/** busybox at bin/busybox and a symlink per applet, as cpio/tree entries. */
export function busyboxEntries(
  busybox: { path: string; applets: string[] },
  at = 'bin/busybox',
): CpioEntry[] {
  const out: CpioEntry[] = [{ kind: 'file', path: at, data: readFileSync(busybox.path), mode: 0o755 }];
  for (const p of busybox.applets) {
    if (p === at) continue;
    const depth = p.split('/').length - 1;
    out.push({ kind: 'symlink', path: p, target: '../'.repeat(depth) + at });
  }
  return out;
}

export function buildInitramfs(kernel: GuestKernel, busybox: { path: string; applets: string[] }): Buffer {
  const entries: CpioEntry[] = [...busyboxEntries(busybox)];
  // Where busybox modprobe looks (/lib/modules/$(uname -r)); its modules.dep names each file and
  // no dependencies: stage 1 lists the modules in load order, one modprobe for all of them.
  const modulesDir = `lib/modules/${kernel.version}`;
  for (const m of kernel.modules) {
    entries.push({ kind: 'file', path: `${modulesDir}/${m.name}.ko`, data: m.data });
  }
  entries.push({
    kind: 'file',
    path: `${modulesDir}/modules.dep`,
    data: Buffer.from(kernel.modules.map((m) => `${m.name}.ko:\n`).join('')),
  });
  entries.push({
    kind: 'file',
    path: 'init',
    data: Buffer.from(
      stage1Init(
        kernel.modules.filter((m) => !m.workspace).map((m) => m.name),
        kernel.modules.filter((m) => m.workspace).map((m) => m.name),
      ),
    ),
    mode: 0o755,
  });
  for (const d of ['proc', 'sys', 'dev', 'lower', 'upper', 'newroot']) entries.push({ kind: 'dir', path: d });
  entries.push({ kind: 'chardev', path: 'dev/console', major: 5, minor: 1 });
  return writeCpio(withParentDirs(entries));
}
