// VM sandboxes as the local API shows them: create, list, stop, logs and exec/attach.

import type { SandboxState } from './events.ts';

export type { CreateSandboxRequest, ExecRequest } from './requests.ts';

/** The accelerator QEMU uses and why (the KVM probe's finding). */
export interface AccelView {
  accel: 'kvm' | 'tcg' | 'hvf';
  reason: string;
}

export interface SandboxView {
  sandboxId: string;
  label: string;
  user: string;
  createdAt: string;
  state: SandboxState;
  /** Why the sandbox is in ERROR (or the reason given with its last change). */
  reason?: string;
  image: { id: string; name: string };
  cpus: number;
  memoryMiB: number;
  workspace?: { hostPath: string; readOnly: boolean };
  accel?: AccelView;
  /** Spawn to guest agent hello, for this sandbox's VM. */
  bootMs?: number;
  /** True when the VM came pre-booted from the warm pool. */
  fromPool: boolean;
  /** Host loopback port of this sandbox's proxy listener. */
  proxyPort: number;
  policySource?: string;
  /** Secret name → placeholder in the guest environment (placeholders are not secret). */
  placeholders: Record<string, string>;
}

export interface CreateSandboxResponse {
  sandbox: SandboxView;
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
