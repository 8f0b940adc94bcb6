// What a sandbox VM is to its users: its description (VmSpec) and the running VM (Vm),
// whatever starts it (qemu-vm.ts boots or restores one; tests use a fake driver's).

import type { LifecycleState } from '../api/lifecycle.ts';
import type { AccelChoice } from './accel.ts';
import type { ExecOptions, ExecProcess, ExitStatus, GuestStats, Hello } from './control-client.ts';
import type { VmImage } from './image/manifest.ts';
import type { WorkspaceShare } from './qemu-args.ts';
import type { StateChange } from './state.ts';

export interface VmSpec {
  /** Lower-case letters, digits and dashes; names the runtime folder. */
  id: string;
  image: VmImage;
  cpus: number;
  memoryMiB: number;
  /** Host loopback port of this sandbox's proxy listener. */
  proxyPort: number;
  workspace?: WorkspaceShare;
  /** Size of the writable layer on disk, in MiB (sparse, removed with the VM); 0 or unset: in RAM. */
  diskMiB?: number;
  /** The managed agents' folder, shared read-only (guest /opt/agents). */
  agentsPath?: string;
  /** The per-project agent home, shared read-write (guest /opt/warden-home, linked as ~/.claude, ~/.codex). */
  agentHomePath?: string;
  /** The Warden CA the guest trusts (PEM). */
  caPem?: string;
  /** Extra environment for every command (secret placeholders, never values). */
  env?: Record<string, string>;
  /** Boot deadline (default 60 s under TCG, 15 s otherwise). */
  bootDeadlineMs?: number;
  /** Forces an accelerator for this VM (the KVM probe uses it). */
  accel?: AccelChoice;
}

export interface RunResult extends ExitStatus {
  stdout: Buffer;
  stderr: Buffer;
}

/** What Vm.run gives a command besides its argv. */
export interface RunOptions {
  stdin?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
}

export interface StopOptions {
  /** How long the guest gets to power off before SIGTERM (default 3 s). */
  graceMs?: number;
  /** How long after SIGTERM before SIGKILL (default 2 s). */
  termMs?: number;
}

/** A running (or not) sandbox VM. */
export interface Vm {
  readonly id: string;
  readonly state: LifecycleState;
  /** Why the VM is in ERROR (or the reason given with the last change). */
  readonly reason: string | undefined;
  readonly accel: AccelChoice | undefined;
  readonly pid: number | undefined;
  readonly runtimeDir: string;
  /**
   * Agent hello and the wall time from spawn to it, once RUNNING; a guest restored from its
   * template has its template's hello, the time to its setup done, and `restored`.
   */
  readonly hello: (Hello & { bootMs: number; restored?: boolean }) | undefined;
  onStateChanged(listener: (change: StateChange) => void): () => void;
  /** Boots it; `onStep` hears each phase ("starting QEMU (tcg)", "waiting for the guest agent"). */
  start(opts?: { onStep?(step: string): void }): Promise<void>;
  stop(opts?: StopOptions): Promise<void>;
  exec(opts: ExecOptions): ExecProcess;
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** The last lines of the guest console (kept after the VM is gone). */
  consoleTail(lines?: number): string;
  /** The guest's latest report of its own memory, while it runs. */
  readonly guestStats?: GuestStats | undefined;
}
