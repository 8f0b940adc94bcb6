// The QEMU arguments of a snapshot template's boot and of each restore of it (vm-template.ts,
// restore.ts): the same devices but for the paths, all three 9p shares attached (an unused
// one points at an empty read-only folder), and the digest of those arguments with every path
// replaced, which is part of a template's key.

import { createHash } from 'node:crypto';
import type { VmImage } from './image/manifest.ts';
import { type Accel, buildQemuArgs, type WorkspaceShare } from './qemu-args.ts';

/** What a template is for: everything a restore's QEMU must share with it. */
export interface TemplateShape {
  image: VmImage;
  accel: Accel;
  cpus: number;
  memoryMiB: number;
  diskMiB: number;
}

/** One QEMU launch of a template or of its restore: the same arguments but for these. */
export interface SnapshotLaunch {
  shape: TemplateShape;
  proxyPort: number;
  proxyConnectCommand: string[];
  controlSocket: string;
  consoleLog: string;
  pidFile: string;
  qmpSocket: string;
  diskPath: string;
  ramFile: { path: string; shared: boolean };
  incoming: boolean;
  /** An empty folder the unused shares point at (read-only). */
  emptyDir: string;
  workspace?: WorkspaceShare;
  agentsPath?: string;
  agentHomePath?: string;
}

export function snapshotQemuArgs(l: SnapshotLaunch): string[] {
  const { image } = l.shape;
  const args = buildQemuArgs({
    accel: l.shape.accel,
    kernelPath: image.kernelPath,
    initrdPath: image.initrdPath,
    ...(image.rootfsPath ? { rootfsPath: image.rootfsPath } : {}),
    diskPath: l.diskPath,
    cpus: l.shape.cpus,
    memoryMiB: l.shape.memoryMiB,
    proxyPort: l.proxyPort,
    proxyConnectCommand: l.proxyConnectCommand,
    controlSocket: l.controlSocket,
    consoleLog: l.consoleLog,
    pidFile: l.pidFile,
    workspace: l.workspace ?? { hostPath: l.emptyDir, readOnly: true },
    agentsPath: l.agentsPath ?? l.emptyDir,
    agentHomePath: l.agentHomePath ?? l.emptyDir,
    template: true,
    ramFile: l.ramFile,
    qmpSocket: l.qmpSocket,
    incoming: l.incoming,
    consoleAppend: true,
  });
  // Unused shares are read-only (a guest that mounts one anyway can write nothing there).
  if (!l.agentHomePath) return args.map((a) => (a.startsWith('local,id=home,') ? `${a},readonly=on` : a));
  return args;
}

/** sha256 of the arguments for `shape` with every path replaced: a change there is a new template. */
export function snapshotArgsDigest(shape: TemplateShape): string {
  const placeholder = '/p';
  const args = snapshotQemuArgs({
    shape: { ...shape, image: { ...shape.image, kernelPath: '/k', initrdPath: '/i' } },
    proxyPort: 1,
    proxyConnectCommand: ['nc', '{port}'],
    controlSocket: placeholder,
    consoleLog: placeholder,
    pidFile: placeholder,
    qmpSocket: placeholder,
    diskPath: placeholder,
    ramFile: { path: placeholder, shared: true },
    incoming: false,
    emptyDir: placeholder,
  }).map((a) => (shape.image.rootfsPath ? a.replaceAll(shape.image.rootfsPath, '/r') : a));
  return createHash('sha256').update(JSON.stringify(args)).digest('hex');
}
