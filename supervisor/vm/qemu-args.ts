// The QEMU `microvm` command line, built from a plain description of the VM. Pure.

import { AGENT_HOME_TAG, AGENTS_TAG, SANDBOX_DISK_SERIAL, WORKSPACE_TAG } from './image/guest-files.ts';

export type Accel = 'kvm' | 'tcg' | 'hvf';

/** Kernel parameters every guest gets. tsc_early_khz keeps TCG guests from hanging on TSC calibration. */
export const BASE_KERNEL_PARAMS = [
  'console=hvc0',
  'tsc_early_khz=2000000',
  'mitigations=off',
  'cryptomgr.notests',
  'nokaslr',
  'no_timer_check',
  'random.trust_cpu=on',
  'panic=-1',
];

/**
 * TCG's translated-code buffer, MiB: a ceiling, not a saving. QEMU's default reserves 1 GiB,
 * filled as the guest runs new code and kept resident up to the highest point it reached
 * (a flush starts it again from the bottom; its pages stay). A boot fills about 98 MiB
 * (kernel, init, the agent's Node). A smaller buffer saves memory only in an idle guest and
 * costs every program that runs more than once: at 72 or 128 MiB a second `npm --version`
 * plus a `node -e` in a 512 MiB guest took nearly twice as long as at 256, which re-translates
 * nothing. The guest agent runs without a JIT, so an idle guest adds little after its boot.
 */
export const TCG_TRANSLATION_CACHE_MIB = 256;

export interface WorkspaceShare {
  hostPath: string;
  readOnly: boolean;
}

export interface QemuLaunchSpec {
  accel: Accel;
  kernelPath: string;
  initrdPath: string;
  /** The root filesystem disk, attached read-only as the guest's /dev/vda (format-2 images). */
  rootfsPath?: string;
  /** The sandbox's writable layer (a sparse ext4 file); without it the layer is in RAM. */
  diskPath?: string;
  cpus: number;
  memoryMiB: number;
  /** Host loopback port of this sandbox's proxy; the guest reaches it as 10.0.2.100:3128. */
  proxyPort: number;
  /**
   * The host command QEMU runs for each guest connection to 10.0.2.100:3128, with the
   * connection as its stdin/stdout; '{port}' is replaced by proxyPort. A plain chardev
   * guestfwd carries one connection at a time, so a per-connection command it is.
   */
  proxyConnectCommand: string[];
  controlSocket: string;
  consoleLog: string;
  pidFile: string;
  workspace?: WorkspaceShare;
  /** The managed agents' folder, shared read-only at /opt/agents. */
  agentsPath?: string;
  /** The per-project agent home, shared read-write at /opt/warden-home. */
  agentHomePath?: string;
  extraKernelParams?: string[];
  /**
   * A snapshot template's boot (vm-template.ts): `warden.template=1` instead of the share
   * parameters, so the guest loads the 9p modules but mounts nothing (QEMU refuses to
   * migrate a guest with a mounted 9p share); the share devices are attached all the same.
   */
  template?: boolean;
  /** Guest RAM in this file: shared (a template writes its RAM there) or a private copy-on-write mapping (a restore). */
  ramFile?: { path: string; shared: boolean };
  /** A QMP socket QEMU listens on (the template's save, a restore's load). */
  qmpSocket?: string;
  /** Wait for a migration stream (`-incoming defer`: QMP migrate-incoming starts it). */
  incoming?: boolean;
  /** Append to the console log instead of truncating it (a restore keeps its template's boot log). */
  consoleAppend?: boolean;
}

/** Characters that would change the meaning of a QEMU `key=value,...` option. */
function checkOptionValue(what: string, value: string): string {
  if (/[,\n\0]/.test(value)) throw new Error(`${what} must not contain a comma or newline: ${value}`);
  return value;
}

/** The default per-connection forwarder: busybox nc to the proxy port on loopback. */
export function defaultProxyConnectCommand(busybox: string): string[] {
  return [busybox, 'nc', '127.0.0.1', '{port}'];
}

function proxyCommand(spec: QemuLaunchSpec): string {
  if (spec.proxyConnectCommand.length === 0) throw new Error('proxyConnectCommand is empty');
  return spec.proxyConnectCommand
    .map((a) => {
      const arg = a.replaceAll('{port}', String(spec.proxyPort));
      if (/[\s,'"\\]/.test(arg)) throw new Error(`proxy connect command argument not allowed: ${arg}`);
      return arg;
    })
    .join(' ');
}

export function kernelCommandLine(
  spec: Pick<
    QemuLaunchSpec,
    'workspace' | 'extraKernelParams' | 'diskPath' | 'agentsPath' | 'agentHomePath' | 'template'
  >,
): string {
  const params = [...BASE_KERNEL_PARAMS];
  if (spec.diskPath) params.push('warden.disk=1');
  if (spec.template) params.push('warden.template=1');
  else {
    if (spec.agentsPath) params.push('warden.agents=1');
    if (spec.agentHomePath) params.push('warden.home=1');
    if (spec.workspace) params.push(`warden.ws=${spec.workspace.readOnly ? 'ro' : 'rw'}`);
  }
  for (const p of spec.extraKernelParams ?? []) {
    if (/\s/.test(p)) throw new Error(`kernel parameter must not contain spaces: ${p}`);
    params.push(p);
  }
  return params.join(' ');
}

export function buildQemuArgs(spec: QemuLaunchSpec): string[] {
  if (!Number.isInteger(spec.cpus) || spec.cpus < 1 || spec.cpus > 64)
    throw new Error(`cpus out of range: ${spec.cpus}`);
  if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 256) {
    throw new Error(`memory must be at least 256 MiB: ${spec.memoryMiB}`);
  }
  if (!Number.isInteger(spec.proxyPort) || spec.proxyPort < 1 || spec.proxyPort > 65535) {
    throw new Error(`proxy port out of range: ${spec.proxyPort}`);
  }
  const cpu = spec.accel === 'tcg' ? 'max' : 'host';
  const ramBackend = spec.ramFile ? ',memory-backend=mem' : '';
  const args = [
    '-M',
    `microvm,x-option-roms=off,isa-serial=off,pit=off,pic=off,rtc=on${ramBackend}`,
    '-accel',
    spec.accel === 'tcg' ? `tcg,tb-size=${TCG_TRANSLATION_CACHE_MIB}` : spec.accel,
    '-cpu',
    cpu,
    '-m',
    `${spec.memoryMiB}M`,
    '-smp',
    String(spec.cpus),
    '-nodefaults',
    '-no-user-config',
    '-nographic',
    '-no-reboot',
    '-pidfile',
    spec.pidFile,
    '-kernel',
    spec.kernelPath,
    '-initrd',
    spec.initrdPath,
    '-append',
    kernelCommandLine(spec),
    // Network: user mode, cut off from host and outside; only the proxy is forwarded.
    '-netdev',
    `user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:3128-cmd:${proxyCommand(spec)}`,
    '-device',
    'virtio-net-device,netdev=n0',
    // Console (hvc0) to a file, control channel on a unix socket QEMU listens on.
    // Free page reporting: pages the guest frees (an npm install's, a build's) go back to the
    // host within seconds instead of staying resident in QEMU for the sandbox's life.
    '-device',
    'virtio-balloon-device,free-page-reporting=on',
    '-device',
    'virtio-serial-device',
    '-chardev',
    `file,id=con,path=${checkOptionValue('console log path', spec.consoleLog)}${spec.consoleAppend ? ',append=on' : ''}`,
    '-device',
    'virtconsole,chardev=con',
    '-chardev',
    `socket,id=ctl,path=${checkOptionValue('control socket path', spec.controlSocket)},server=on,wait=off`,
    '-device',
    'virtserialport,chardev=ctl,name=warden.ctl',
  ];
  if (spec.ramFile) {
    const file = checkOptionValue('RAM file path', spec.ramFile.path);
    const share = spec.ramFile.shared ? 'on' : 'off';
    args.push(
      '-object',
      `memory-backend-file,id=mem,size=${spec.memoryMiB}M,mem-path=${file},share=${share}`,
    );
  }
  if (spec.qmpSocket)
    args.push('-qmp', `unix:${checkOptionValue('QMP socket path', spec.qmpSocket)},server=on,wait=off`);
  if (spec.incoming) args.push('-incoming', 'defer');
  if (spec.rootfsPath) {
    args.push(
      '-drive',
      `file=${checkOptionValue('root filesystem path', spec.rootfsPath)},if=none,id=root,format=raw,readonly=on`,
      '-device',
      'virtio-blk-device,drive=root',
    );
  }
  if (spec.diskPath) {
    args.push(
      '-drive',
      `file=${checkOptionValue('sandbox disk path', spec.diskPath)},if=none,id=disk,format=raw`,
      '-device',
      `virtio-blk-device,drive=disk,serial=${SANDBOX_DISK_SERIAL}`,
    );
  }
  if (spec.workspace) {
    const ro = spec.workspace.readOnly ? ',readonly=on' : '';
    args.push(
      '-fsdev',
      `local,id=ws,path=${checkOptionValue('workspace path', spec.workspace.hostPath)},security_model=none${ro}`,
      '-device',
      `virtio-9p-device,fsdev=ws,mount_tag=${WORKSPACE_TAG}`,
    );
  }
  if (spec.agentsPath) {
    args.push(
      '-fsdev',
      `local,id=agents,path=${checkOptionValue('agents path', spec.agentsPath)},security_model=none,readonly=on`,
      '-device',
      `virtio-9p-device,fsdev=agents,mount_tag=${AGENTS_TAG}`,
    );
  }
  if (spec.agentHomePath) {
    args.push(
      '-fsdev',
      `local,id=home,path=${checkOptionValue('agent home path', spec.agentHomePath)},security_model=none`,
      '-device',
      `virtio-9p-device,fsdev=home,mount_tag=${AGENT_HOME_TAG}`,
    );
  }
  return args;
}
