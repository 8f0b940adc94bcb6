// What a daemon is started with, and the error a start that cannot go on throws.

import type { ReviewerHookConfig } from '../approvals/index.ts';
import type { OtlpSinkOptions } from '../audit/otlp/otlp-sink.ts';
import type { Logger } from '../proxy/index.ts';
import type { ImageBuildCommand } from '../sandboxes/images.ts';
import type { SyncLinkOptions } from '../sync/index.ts';
import type { Accel, VmDriver } from '../vm/index.ts';

export interface DaemonOptions {
  home: string;
  /** Also serve the API on this loopback port (browser mode); 0 picks one. */
  httpPort?: number;
  /** Extra PEM CAs trusted for upstream servers. */
  upstreamCa?: string[];
  /** WARDEN_UPSTREAM_CA: a PEM file of CAs trusted for upstream servers (must be readable). */
  upstreamCaFile?: string;
  /** The OS CA bundle candidates, first found wins (default: $SSL_CERT_FILE, else the Linux paths). */
  systemCaBundles?: readonly string[];
  /** NODE_EXTRA_CA_CERTS (default: the environment's). */
  nodeExtraCaCerts?: string;
  /** Names pinned to addresses. */
  resolve?: Map<string, string[]>;
  log?: Logger;
  user?: string;
  /** What boots the sandboxes' VMs (default: QEMU microvm; tests pass a fake). */
  vmDriver?: VmDriver;
  /** VM sandboxes: force an accelerator instead of probing KVM (WARDEN_ACCEL). */
  accel?: Accel;
  /** Pre-booted VMs in the warm pool (default 1; 0 disables it). */
  poolSize?: number;
  /** Start VMs from a saved booted guest of their image when one is built (default true; WARDEN_VM_TEMPLATES=off). */
  vmTemplates?: boolean;
  /** Folder of the renderer bundle served in browser mode (default: dist/renderer of this package). */
  uiDir?: string;
  /** The QEMU binary (default qemu-system-x86_64 on PATH). */
  qemuBinary?: string;
  /** Proxy: how long a tunnel may stay silent before its first byte or request headers (default 30 s). */
  tunnelIdleMs?: number;
  /** Forward plain HTTP with Node's http client instead of the proxy's own (tests). */
  nodeHttpClient?: boolean;
  /** The guest image sandboxes get when none is named (default: $WARDEN_IMAGE, else full). */
  defaultImage?: string;
  /** The command that builds a missing default image (default: `warden image build` in a child). */
  imageBuildCommand?: ImageBuildCommand;
  /** npm's cache for agent installs (default: $WARDEN_NPM_CACHE, else $WARDEN_HOME/cache/npm). */
  npmCacheDir?: string;
  /**
   * The reviewer hook: a command (argv, no shell) or a webhook (HTTPS, or HTTP on loopback)
   * that answers each approval before a human sees it (WARDEN_REVIEWER_COMMAND, WARDEN_REVIEWER_URL).
   */
  reviewerHook?: ReviewerHookConfig;
  /**
   * Another folder for the organisation's managed policy file (`managed.yaml`), looked in
   * after the platform's (/etc/warden on Linux), which always wins. Enforced only if root
   * owns it and every folder above it.
   */
  managedDir?: string;
  /** The team hub's sync link: heartbeat, batch delay, timeouts, retry (default: the contract's). */
  /** Send this device's audit records to an OTLP/HTTP endpoint without a hub (`--otlp-export`). */
  otlpExport?: DeviceExportOptions;
  sync?: Partial<
    Pick<SyncLinkOptions, 'heartbeatMs' | 'batchDelayMs' | 'pollMs' | 'timeoutMs' | 'retry' | 'parkMs'>
  >;
}

/** The device's own OTLP export (`--otlp-export`). */
export interface DeviceExportOptions {
  /** An OTLP/HTTP endpoint (`/v1/logs` is added). */
  endpoint: string;
  intervalMs?: number;
  sink?: Omit<OtlpSinkOptions, 'endpoint' | 'scopeVersion'>;
}

export class DaemonStartError extends Error {
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'DaemonStartError';
    this.hint = hint;
  }
}
