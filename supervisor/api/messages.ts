// Request and response bodies of the local API.

import type { ApprovalView } from './events.ts';
import type { LayerName, PolicyDiff, PolicyErrorView, ResolvedPolicyView } from './policy-types.ts';

import type { InjectMode } from './requests.ts';
import type { VmStatusView } from './sandbox-types.ts';

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

/** A listener is one governed proxy port, owned by one sandbox (agent identity). */
export interface ListenerView {
  sandboxId: string;
  label: string;
  user: string;
  kind: 'host' | 'vm';
  host: string;
  port: number;
  /** The listener's address, without its credential (safe to show and to audit). */
  proxyUrl: string;
  /**
   * The URL its client uses, `http://warden:<credential>@host:port`: the credential is a
   * secret that lets its holder act as this sandbox (given only to the API's owner).
   */
  clientProxyUrl: string;
  /** Where this listener's project policy came from, if it has one. */
  policySource?: string;
  createdAt: string;
  /** Secret name → placeholder handed to the agent (placeholders are not secret). */
  placeholders: Record<string, string>;
}

export interface StatusResponse {
  version: string;
  pid: number;
  startedAt: string;
  home: string;
  user: string;
  listeners: ListenerView[];
  pendingApprovals: number;
  secrets: number;
  ca: { certPath: string; fingerprint256: string };
  /** Where secrets are kept at rest: `keyring` or `file`. */
  vault: string;
  httpUrl?: string;
  /** VM sandboxes: the accelerator and why, the warm pool, images. */
  vm?: VmStatusView;
}

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
  };
}
