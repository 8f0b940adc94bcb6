// Which accelerator QEMU uses, and why. KVM only counts when a probe boot reaches the
// guest agent within a deadline (nested KVM can hang early in boot); otherwise TCG.
// The answer is cached for the lifetime of the AccelProbe (one per daemon run).

import { accessSync, constants } from 'node:fs';
import type { Accel } from './qemu-args.ts';

export interface AccelChoice {
  accel: Accel;
  reason: string;
}

export interface AccelProbeOptions {
  platform?: NodeJS.Platform;
  kvmDevice?: string;
  /** Boots a VM with KVM; resolves with how long the boot took, rejects with why it failed. */
  kvmBootTest: (deadlineMs: number) => Promise<number>;
  deadlineMs?: number;
  /** Forces a choice (e.g. settings or WARDEN_ACCEL); the probe is skipped. */
  force?: Accel;
}

export class AccelProbe {
  private result: Promise<AccelChoice> | undefined;

  constructor(private readonly opts: AccelProbeOptions) {}

  get(): Promise<AccelChoice> {
    this.result ??= this.probe();
    return this.result;
  }

  private async probe(): Promise<AccelChoice> {
    const { force } = this.opts;
    if (force) return { accel: force, reason: `forced by settings (${force})` };
    const platform = this.opts.platform ?? process.platform;
    if (platform === 'darwin') {
      return { accel: 'hvf', reason: 'macOS host: Hypervisor.framework (not probed)' };
    }
    if (platform !== 'linux') return { accel: 'tcg', reason: `no hardware acceleration on ${platform}` };
    const dev = this.opts.kvmDevice ?? '/dev/kvm';
    try {
      accessSync(dev, constants.R_OK | constants.W_OK);
    } catch (err) {
      return {
        accel: 'tcg',
        reason: `KVM not usable: ${dev} ${(err as NodeJS.ErrnoException).code ?? 'unavailable'}`,
      };
    }
    const deadline = this.opts.deadlineMs ?? 5000;
    try {
      const ms = await this.opts.kvmBootTest(deadline);
      return { accel: 'kvm', reason: `a KVM probe boot reached the guest agent in ${ms} ms` };
    } catch (err) {
      return {
        accel: 'tcg',
        reason: `software emulation (TCG): a KVM probe boot did not reach the guest agent within ${deadline} ms (${(err as Error).message})`,
      };
    }
  }
}
