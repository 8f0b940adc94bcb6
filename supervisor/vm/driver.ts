// The VM driver interface and its QEMU microvm implementation.

import { existsSync, rmSync } from 'node:fs';
import { type AccelChoice, AccelProbe } from './accel.ts';
import type { VmImage } from './image/manifest.ts';
import { VerifiedImages } from './image/verified-images.ts';
import { type ReapedVm, reapOrphans } from './orphans.ts';
import { type Accel, defaultProxyConnectCommand } from './qemu-args.ts';
import { QemuVm } from './qemu-vm.ts';
import type { Vm, VmSpec } from './vm.ts';
import { VmTemplates } from './vm-template.ts';

export interface VmDriver {
  readonly name: string;
  /** The accelerator VMs get and why (probed once, then cached). */
  accel(): Promise<AccelChoice>;
  create(spec: VmSpec): Vm;
  /** Kills what a previous daemon left in the run folder; call once at daemon start. */
  reapOrphans(): Promise<ReapedVm[]>;
  /** Abandons its background work (a snapshot template's build); the daemon calls it when it stops. */
  stop?(): Promise<void>;
}

export interface QemuMicrovmDriverOptions {
  /** Folder holding every VM's runtime folder, e.g. $WARDEN_HOME/run/vms. */
  runDir: string;
  /** The image the KVM probe boots. */
  probeImage: () => Promise<VmImage>;
  qemuBinary?: string;
  /** Per-connection forwarder to the proxy (default: busybox nc 127.0.0.1 {port}). */
  proxyConnectCommand?: string[];
  /** Skip the probe and use this accelerator. */
  forceAccel?: Accel;
  /** KVM probe deadline (default 5 s). */
  probeDeadlineMs?: number;
  /** Verifies an image before each boot (default: hash check of its folder, once per version of its files). */
  verifyImage?: (image: VmImage) => Promise<VmImage>;
  /** Where snapshot templates live (vm-template.ts); unset: every VM boots. */
  templatesDir?: string;
  /** Hears what the templates do (built, failed, a restore that fell back to a boot). */
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export class QemuMicrovmDriver implements VmDriver {
  readonly name = 'qemu-microvm';
  private readonly probe: AccelProbe;
  private readonly qemuBinary: string;
  private readonly verify: (image: VmImage) => Promise<VmImage>;
  private probeCount = 0;
  private readonly proxyConnectCommand: string[];
  /** The snapshot templates, when the driver has a folder for them. */
  readonly templates: VmTemplates | undefined;

  constructor(private readonly opts: QemuMicrovmDriverOptions) {
    this.qemuBinary = opts.qemuBinary ?? 'qemu-system-x86_64';
    this.proxyConnectCommand = opts.proxyConnectCommand ?? defaultProxyConnectCommand(findBusybox());
    const verified = new VerifiedImages();
    this.verify = opts.verifyImage ?? ((image) => verified.check(image.dir));
    const probeOpts: ConstructorParameters<typeof AccelProbe>[0] = {
      kvmBootTest: (deadlineMs) => this.kvmBootTest(deadlineMs),
      deadlineMs: opts.probeDeadlineMs ?? 5000,
    };
    if (opts.forceAccel) probeOpts.force = opts.forceAccel;
    this.probe = new AccelProbe(probeOpts);
    this.templates = opts.templatesDir
      ? new VmTemplates({
          dir: opts.templatesDir,
          runDir: opts.runDir,
          qemuBinary: this.qemuBinary,
          proxyConnectCommand: this.proxyConnectCommand,
          ...(opts.log ? { log: opts.log } : {}),
        })
      : undefined;
  }

  accel(): Promise<AccelChoice> {
    return this.probe.get();
  }

  create(spec: VmSpec): Vm {
    return new QemuVm(spec, {
      qemuBinary: this.qemuBinary,
      runDir: this.opts.runDir,
      accel: () => this.accel(),
      verifyImage: this.verify,
      proxyConnectCommand: this.proxyConnectCommand,
      ...(this.templates ? { templates: this.templates } : {}),
      ...(this.opts.log ? { log: this.opts.log } : {}),
    });
  }

  reapOrphans(): Promise<ReapedVm[]> {
    return reapOrphans(this.opts.runDir);
  }

  async stop(): Promise<void> {
    await this.templates?.stop();
  }

  /** Boots the probe image under KVM; resolves with the boot time if the agent said hello. */
  private async kvmBootTest(deadlineMs: number): Promise<number> {
    const image = await this.opts.probeImage();
    const vm = new QemuVm(
      {
        id: `kvm-probe-${process.pid}-${++this.probeCount}`,
        image,
        cpus: 1,
        memoryMiB: 512,
        proxyPort: 9, // discard: the probe makes no connections
        bootDeadlineMs: deadlineMs,
        accel: { accel: 'kvm', reason: 'probe' },
      },
      {
        qemuBinary: this.qemuBinary,
        runDir: this.opts.runDir,
        accel: async () => ({ accel: 'kvm', reason: 'probe' }),
        verifyImage: this.verify,
        proxyConnectCommand: this.proxyConnectCommand,
      },
    );
    try {
      await vm.start();
      return vm.hello?.bootMs ?? 0;
    } finally {
      await vm.stop({ graceMs: 500, termMs: 500 });
      rmSync(vm.runtimeDir, { recursive: true, force: true });
    }
  }
}

function findBusybox(): string {
  for (const p of ['/usr/bin/busybox', '/bin/busybox', '/usr/local/bin/busybox']) if (existsSync(p)) return p;
  return 'busybox';
}
