// Public face of the VM layer: a driver that boots QEMU microvm sandboxes, the lifecycle
// states they report, the control channel to run commands in them, and the guest image.

export { type AccelChoice, AccelProbe } from './accel.ts';
export type { ExecOptions, ExecProcess, ExitStatus, GuestStats, Hello } from './control-client.ts';
export { QemuMicrovmDriver, type QemuMicrovmDriverOptions, type VmDriver } from './driver.ts';
export {
  type BuildImageOptions,
  type BuiltImage,
  buildImage,
  buildMinimalImage,
} from './image/builder.ts';
export {
  AGENT_HOME_DIRS,
  GUEST_AGENT_HOME,
  GUEST_CA_BUNDLE,
  GUEST_PROXY_HOST,
  GUEST_PROXY_PORT,
  GUEST_PROXY_URL,
  GUEST_SYSTEM_PATH,
  GUEST_WORKSPACE,
} from './image/guest-files.ts';
export {
  defaultImageName,
  IMAGE_KINDS,
  type ImageKind,
  imageBuildHint,
  imageKind,
} from './image/kinds.ts';
export {
  type ImageManifest,
  imageAt,
  imageSize,
  listImages,
  type VmImage,
  verifyImage,
} from './image/manifest.ts';
export { type ReapedVm, reapOrphans } from './orphans.ts';
export { type ProcStats, procStats } from './proc-stats.ts';
export { type Accel, buildQemuArgs, type QemuLaunchSpec, type WorkspaceShare } from './qemu-args.ts';
export { DEFAULT_DISK_MIB } from './sandbox-disk.ts';
export type { StateChange } from './state.ts';
export type { TemplateShape } from './template-args.ts';
export type { RunOptions, RunResult, StopOptions, Vm, VmSpec } from './vm.ts';
export { type Template, type TemplateKey, VmTemplates } from './vm-template.ts';
