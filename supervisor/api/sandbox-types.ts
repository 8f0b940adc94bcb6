// Sandboxes as the local API shows them, one resource of two kinds: a microVM (`vm`) or a
// host process's governed proxy listener (`host`, `warden proxy`). Both have an identity,
// policy layers, secrets' placeholders and a proxy listener; a VM also has its machine
// (state, image, resources, console logs, exec/attach).

import type { AgentPin } from './agent-types.ts';
import type { SandboxState } from './events.ts';

export type {
  CreateHostSandboxRequest,
  CreateSandboxRequest,
  CreateVmSandboxRequest,
  ExecRequest,
} from './requests.ts';

export type SandboxKind = 'vm' | 'host';

/** The accelerator QEMU uses and why (the KVM probe's finding). */
export interface AccelView {
  accel: 'kvm' | 'tcg' | 'hvf';
  reason: string;
}

/** What every sandbox has, whatever its kind. */
interface SandboxViewBase {
  sandboxId: string;
  label: string;
  user: string;
  createdAt: string;
  /** Where its project policy came from, if it has one. */
  policySource?: string;
  /** Secret name → placeholder handed to the agent (placeholders are not secret). */
  placeholders: Record<string, string>;
}

/** A QEMU microVM whose only way out is its proxy listener. */
export interface VmSandboxView extends SandboxViewBase {
  kind: 'vm';
  state: SandboxState;
  /** Why the sandbox is in ERROR (or the reason given with its last change). */
  reason?: string;
  image: { id: string; name: string };
  cpus: number;
  memoryMiB: number;
  /** The writable layer on disk, in MiB (sparse); 0: in RAM. */
  diskMiB: number;
  /** Managed agents on its PATH, pinned (name, version, integrity). */
  agents: AgentPin[];
  /** The per-project agent home mounted as the agent's settings folders (--agent-home). */
  agentHome?: string;
  workspace?: { hostPath: string; readOnly: boolean };
  accel?: AccelView;
  /** Spawn to guest agent hello, for this sandbox's VM. */
  bootMs?: number;
  /** True when the VM came pre-booted from the warm pool. */
  fromPool: boolean;
  /** Host loopback port of this sandbox's proxy listener. */
  proxyPort: number;
}

/**
 * A process on the host behind a governed proxy listener (`warden proxy`): no VM, so not
 * a boundary against that process (README, host mode), but the same policy, approvals,
 * secrets and audit.
 */
export interface HostSandboxView extends SandboxViewBase {
  kind: 'host';
  host: string;
  port: number;
  /** The listener's address, without its credential (safe to show and to audit). */
  proxyUrl: string;
  /**
   * The URL its client uses, `http://warden:<credential>@host:port`: the credential is a
   * secret that lets its holder act as this sandbox (given only to the API's owner).
   */
  clientProxyUrl: string;
}

export type SandboxView = VmSandboxView | HostSandboxView;

export interface CreateSandboxResponse {
  sandbox: SandboxView;
  /** `host` sandboxes: the environment its process exports to use the listener. */
  env?: Record<string, string>;
}

export interface SandboxLogsResponse {
  sandboxId: string;
  /** The last lines of the guest console. */
  console: string;
}

export interface ImageView {
  id: string;
  name: string;
  dir: string;
  builtAt: string;
  kernelVersion: string;
  sizeBytes: number;
}

export interface VmStatusView {
  /** null while the accelerator probe has not run yet. */
  accel: AccelView | null;
  pool: { size: number; ready: number; booting: number; lastError?: string };
  sandboxes: number;
  imagesDir: string;
  images: number;
}

/**
 * `POST /v1/sandboxes/:sandboxId/exec` is an HTTP Upgrade (`Upgrade: warden-exec`). After
 * `101 Switching Protocols` the socket carries the frames of supervisor/api/frames.ts on
 * channel EXEC_CHANNEL: the client sends stdin data and control `stdin-eof`, `resize`,
 * `kill`; the daemon sends stdout/stderr data and control `started`, `error`, `exit`.
 */
export const EXEC_UPGRADE_PROTOCOL = 'warden-exec';
export const EXEC_CHANNEL = 1;

/** One sandbox's counters at a moment: its VM's process (absent for host sandboxes or a VM without one) and its traffic. */
export interface SandboxMetrics {
  sandboxId: string;
  kind: SandboxKind;
  /** CPU time QEMU has used (user + system), seconds; a client derives the load from two samples. */
  cpuSeconds?: number;
  /** Resident memory of the QEMU process, bytes (what the guest uses, plus QEMU's own). */
  rssBytes?: number;
  /** Memory given to the guest, bytes. */
  memoryBytes?: number;
  /** Memory the guest itself is using (MemTotal − MemAvailable, as its kernel reports), bytes. */
  guestMemoryUsedBytes?: number;
  /** Memory the guest's kernel manages (MemTotal: what it was given less what the kernel keeps), bytes. */
  guestMemoryTotalBytes?: number;
  /** Bytes sent upstream and received from upstream through its proxy since the daemon started. */
  bytesUp: number;
  bytesDown: number;
  /** Requests decided for it since the daemon started. */
  requests: number;
}

/** `GET /v1/metrics/sandboxes`: every sandbox's counters, sampled at `time` (epoch ms). */
export interface SandboxMetricsResponse {
  time: number;
  sandboxes: SandboxMetrics[];
}
