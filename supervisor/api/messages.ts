// Request and response bodies of the local API.

import type { ApprovalView } from './events.ts';
import type { LayerName, PolicyDiff, PolicyErrorView, ResolvedPolicyView } from './policy-types.ts';

import type { InjectMode } from './requests.ts';
import type { HostSandboxView, SandboxKind, SandboxView, VmStatusView } from './sandbox-types.ts';
import type { SyncStatus } from './sync-types.ts';

export type {
  AddRuleRequest,
  AnswerApprovalRequest,
  ApplyPolicyRequest,
  CreateListenerRequest,
  InjectMode,
  PreviewApprovalRequest,
  PutSecretRequest,
  ValidatePolicyRequest,
} from './requests.ts';

/**
 * @deprecated The shape of the `/v1/listeners` routes, kept for one release: one sandbox's
 * governed proxy port, of either kind. Use SandboxView (`/v1/sandboxes`).
 */
export type ListenerView = Omit<HostSandboxView, 'kind'> & { kind: SandboxKind };

export interface StatusResponse {
  version: string;
  pid: number;
  startedAt: string;
  home: string;
  user: string;
  /** Every sandbox, of both kinds. */
  sandboxes: SandboxView[];
  /** @deprecated Every sandbox's listener, for clients of the previous release: use `sandboxes`. */
  listeners: ListenerView[];
  pendingApprovals: number;
  secrets: number;
  ca: { certPath: string; fingerprint256: string };
  /** Where secrets are kept at rest: `keyring` or `file`. */
  vault: string;
  httpUrl?: string;
  /** VM sandboxes: the accelerator and why, the warm pool, images. */
  vm?: VmStatusView;
  /** Where upstream TLS trust comes from, in the order the stores were read. */
  upstreamTrust?: TrustStoreView[];
  /** The team hub's sync link (state `off` until enrolled). */
  sync?: SyncStatus;
}

/** One source of the CAs upstream TLS is verified against. */
export interface TrustStoreView {
  /** `node`: Node's bundled roots; `system`: the OS CA bundle; `options`: given to the daemon directly. */
  source: 'node' | 'system' | 'NODE_EXTRA_CA_CERTS' | 'WARDEN_UPSTREAM_CA' | 'options';
  path?: string;
  /** How many certificates it gave (some may repeat another store's). */
  certificates: number;
  /** Why it gave fewer than it should (missing, unreadable, empty). */
  problem?: string;
}

/** @deprecated The answer of `POST /v1/listeners`: see CreateSandboxResponse. */
export interface CreateListenerResponse {
  listener: ListenerView;
  /** Environment a client process should export to use the listener. */
  env: Record<string, string>;
}

export interface SecretView {
  name: string;
  hosts: string[];
  inject: InjectMode;
  createdAt: string;
  updatedAt: string;
}

export interface AnswerApprovalResponse {
  approval: ApprovalView;
  /** For `always`: the change made to the session layer. */
  diff?: PolicyDiff;
}

/** `POST /v1/ui`: the browser-mode URL (the listener is started if it was not running). */
export interface UiResponse {
  /** The loopback origin, e.g. http://127.0.0.1:PORT */
  url: string;
  /**
   * The URL to open: a one-time code in its fragment (`#code=…`), good once and for
   * `codeTtlSeconds`, that the page exchanges at UI_SESSION_PATH for its session. The token
   * itself never goes into a URL, so a browser opener's argv (readable with `ps`) holds
   * nothing that outlives the page's first load.
   */
  openUrl: string;
  /** How long the code in `openUrl` stays good. */
  codeTtlSeconds: number;
}

/** The body the page POSTs to UI_SESSION_PATH. */
export interface UiSessionRequest {
  code: string;
}

/** The answer to a good code: the bearer token for this page's session. */
export interface UiSessionResponse {
  token: string;
}

export interface PolicyLayerText {
  layer: LayerName;
  source: string;
  yaml: string;
}

export interface PolicyResponse {
  sandboxId?: string;
  layers: PolicyLayerText[];
  resolved: ResolvedPolicyView;
}

export interface ValidatePolicyResponse {
  valid: boolean;
  errors: PolicyErrorView[];
}

export interface ApplyPolicyResponse {
  applied: boolean;
  diff: PolicyDiff;
}

/** Errors cross the boundary with their name and fields. */
export interface ErrorEnvelope {
  error: {
    name: string;
    message: string;
    /** What the user can do about it. */
    hint?: string;
    errors?: PolicyErrorView[];
    /** ChainFork: the first seq at which the hub holds a different record. */
    seq?: number;
    /** ChainGap: the seq the hub expects next. */
    expectedSeq?: number;
    /** RateLimited: seconds to wait (also the Retry-After header). */
    retryAfter?: number;
  };
}

/** `GET /v1/presets`: a policy preset the daemon ships (a layer under a sandbox's project policy). */
export interface PresetView {
  name: string;
  /** Its `metadata.description`, when it has one. */
  description?: string;
  yaml: string;
  source: string;
  /** The sandbox size its agent runs well in, and the managed agent it runs (installed on first use). */
  needs?: { cpus: number; memoryMiB: number; agent?: string };
}
