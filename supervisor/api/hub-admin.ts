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
} as const;

export const HUB_ADMIN_LIMITS = {
  /** Failed sign-ins per name or per client address in the window before 429. */
  signInFailures: 5,
  signInWindowMs: 60_000,
  sessionTtlMs: 8 * 3_600_000,
  eventsPageMax: 200,
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
}

export interface HubEventFilter {
  device?: string;
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
