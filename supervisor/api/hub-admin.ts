// The hub's admin API: what its web page (hub-web/) calls. Sessions ride an HttpOnly,
// SameSite=Strict cookie; every state-changing call (POST) must carry the session's CSRF
// token in HUB_ADMIN_CSRF_HEADER and an Origin equal to the hub's own.

import { type Static, Type } from '@sinclair/typebox';
import type { HubAlertKind } from './hub.ts';

export const HUB_ADMIN_COOKIE = 'warden_hub_session';
export const HUB_ADMIN_CSRF_HEADER = 'x-warden-csrf';

export const HUB_ADMIN_PATHS = {
  signIn: '/admin/api/sign-in',
  signOut: '/admin/api/sign-out',
  session: '/admin/api/session',
  devices: '/admin/api/devices',
  revoke: '/admin/api/devices/revoke',
  events: '/admin/api/events',
  alerts: '/admin/api/alerts',
  ack: '/admin/api/alerts/ack',
  tokens: '/admin/api/tokens',
  tokenCreate: '/admin/api/tokens/create',
  tokenExpire: '/admin/api/tokens/expire',
  actions: '/admin/api/actions',
  /** GET ?id=DEVICE: one device with its receipts and spot-checks. */
  device: '/admin/api/device',
  /** GET ?device=ID&before=LEAF_INDEX: older receipts of a device (keyset by leaf index). */
  receipts: '/admin/api/device/receipts',
  spotCheck: '/admin/api/devices/spot-check',
  /** GET ?device=ID&seq=N: the proof file of one record (as `warden audit prove` writes it). */
  proof: '/admin/api/proof',
  exports: '/admin/api/exports',
  /** Ask the device for a new key over its next heartbeat. */
  rotate: '/admin/api/devices/rotate',
  /** GET ?state=pending|all: IT's approvals inbox (hub-approvals.ts). */
  approvals: '/admin/api/approvals',
  /** POST {id, decision}: answer one (once). */
  approvalAnswer: '/admin/api/approvals/answer',
} as const;

export const HUB_ADMIN_LIMITS = {
  /** Failed sign-ins per name or per client address in the window before 429. */
  signInFailures: 5,
  signInWindowMs: 60_000,
  sessionTtlMs: 8 * 3_600_000,
  eventsPageMax: 200,
  /** Rows a severity-filtered events page reads at most before it answers (with a cursor to go on). */
  severityScanMax: 5000,
  receiptsPageMax: 100,
  spotCheckSeqs: 64,
  passwordMinLength: 12,
} as const;

export const HubSignInSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
export type HubSignIn = Static<typeof HubSignInSchema>;

export const HubRevokeSchema = Type.Object(
  { device: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
export const HubAckSchema = Type.Object(
  { id: Type.Integer({ minimum: 1 }), note: Type.String({ maxLength: 2000 }) },
  { additionalProperties: false },
);
export const HubTokenCreateSchema = Type.Object(
  { ttlHours: Type.Integer({ minimum: 1, maximum: 24 * 30 }) },
  { additionalProperties: false },
);
export const HubTokenExpireSchema = Type.Object(
  { id: Type.String({ pattern: '^[0-9a-f]{64}$' }) },
  { additionalProperties: false },
);

export const HubSpotCheckSchema = Type.Object(
  {
    device: Type.String({ pattern: '^[0-9a-f]{32}$' }),
    /** Seqs to challenge (empty: the hub picks the head and a sample of held seqs). */
    seqs: Type.Array(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), { maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type HubSpotCheckRequest = Static<typeof HubSpotCheckSchema>;

/** OCSF severity names, by severity_id (the events filter takes a minimum). */
export const HUB_SEVERITIES = ['Informational', 'Low', 'Medium', 'High', 'Critical', 'Fatal'] as const;
export type HubSeverity = (typeof HUB_SEVERITIES)[number];

export interface HubAdminSession {
  name: string;
  csrf: string;
}

/** The chain status badges of a device (from its unacknowledged alerts, and silence). */
export type HubChainBadge = 'ok' | 'forked' | 'rolled-back' | 'gap' | 'clock-skew' | 'silent' | 'revoked';

export interface HubDeviceView {
  id: string;
  user: string;
  machine: string;
  os: string;
  version: string;
  enrolledAt: number;
  lastSeen: number | null;
  /** How far the hub is behind the device: now − its newest held record's time while it has a backlog. */
  lagMs: number | null;
  backlog: number | null;
  headSeq: number | null;
  badges: HubChainBadge[];
  /** SHA256:base64 of the raw Ed25519 public key (as ssh-keygen -l prints). */
  fingerprint: string;
  revokedAt: number | null;
  /** A key rotation IT asked for is waiting for the device's next heartbeat. */
  rotating: boolean;
  /** The organisation policy it should enforce and the one it reports (absent: the hub pushes none). */
  policy?: HubDevicePolicyView;
}

/**
 * current: it enforces the policy meant for it; old: an earlier one the hub pushed; modified:
 * one the hub never pushed (or a managed file); missing: none, though one is meant for it;
 * unknown: it has not reported yet; none: no policy is meant for it and it enforces none.
 */
export type HubDevicePolicyState = 'current' | 'old' | 'modified' | 'missing' | 'unknown' | 'none';

export interface HubDevicePolicyView {
  group: string | null;
  expected: { hash: string; serial: number } | null;
  reported: string | null;
  state: HubDevicePolicyState;
}

export interface HubEventView {
  device: string;
  seq: number;
  time: number;
  kind: string;
  user: string;
  host: string | null;
  outcome: string | null;
  sandboxId: string | null;
  /** The record's JSON body, as hashed. */
  body: string;
  hash: string;
}

export interface HubEventPage {
  events: HubEventView[];
  /** Pass as `cursor` for the next (older) page; null at the end. */
  next: string | null;
  /**
   * With a severity filter a page reads at most HUB_ADMIN_LIMITS.severityScanMax rows: true
   * when it stopped there (fewer events than asked, `next` goes on from the last row read).
   */
  partial?: boolean;
}

export interface HubEventFilter {
  device?: string;
  user?: string;
  sandbox?: string;
  /** The least OCSF severity shown (records below it are skipped). */
  severity?: HubSeverity;
  kind?: string;
  host?: string;
  outcome?: string;
  /** Epoch ms, inclusive / exclusive. */
  from?: number;
  to?: number;
  cursor?: string;
  limit?: number;
}

export interface HubAlertView {
  id: number;
  device: string;
  kind: HubAlertKind;
  seq: number | null;
  message: string;
  at: number;
  ack: { admin: string; note: string; at: number } | null;
}

export interface HubTokenView {
  /** The SHA-256 of the token (the hub never keeps the token itself). */
  id: string;
  created: number;
  expires: number;
  spent: number | null;
  device: string | null;
}

export interface HubAdminAction {
  id: number;
  at: number;
  admin: string;
  action: string;
  detail: string;
  hash: string;
}

/** One countersigned batch of a device: its Merkle leaf and the first checkpoint that holds it. */
export interface HubReceiptView {
  leafIndex: number;
  /** The batch's last seq and its chain hash. */
  seq: number;
  hash: string;
  received: number;
  /** The size of the first signed tree holding the leaf, and that checkpoint's note. */
  treeSize: number | null;
  checkpoint: string | null;
}

export type HubSpotCheckState = 'pending' | 'answered' | 'mismatch';

export interface HubSpotCheckView {
  id: number;
  seqs: number[];
  admin: string;
  requested: number;
  state: HubSpotCheckState;
  /** When the hub saw the answer (null while pending). */
  resolved: number | null;
  /** The first seq whose hash the device answered differently (mismatch). */
  firstDivergent: number | null;
}

export interface HubDeviceDetail {
  device: HubDeviceView;
  /** The first seq the hub holds of it (the enrollment's start). */
  startSeq: number;
  receipts: HubReceiptView[];
  /** Pass as `before` for older receipts; null at the end. */
  nextReceipts: number | null;
  spotChecks: HubSpotCheckView[];
}

export interface HubExportView {
  name: string;
  kind: 'otlp' | 'hec' | 'files';
  target: string;
  /** Records held by the hub and not yet confirmed by the destination. */
  lag: number;
  exported: number;
  lastAttempt: number;
  lastSuccess: number | null;
  lastError: string | null;
}
