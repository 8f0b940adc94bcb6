// The approvals inbox in the contract: who answered from where, the states an approval goes
// through, the history query, revocation and prompt rates (the reviewer hook's verdict: reviewer-types.ts).
//
// The client label (`X-Warden-Client`) is a label, not authentication: every local client
// holds the same daemon token, so any of them can claim any local label. It tells a reader of
// the audit trail which tool a human used; the principal is the daemon's local user.

/** The header a local client names itself with. */
export const CLIENT_HEADER = 'x-warden-client';

/** Labels a local client may send in `X-Warden-Client` (absent: `api`, a plain API call). */
export const LOCAL_CLIENTS = ['desktop', 'browser', 'cli', 'lens', 'api'] as const;
export type LocalClient = (typeof LOCAL_CLIENTS)[number];

/**
 * Every source an answer can come from: a local client, the team hub (IT's inbox, later), or
 * the reviewer hook. The last two never come from a local client's header.
 */
export const ANSWER_SOURCES = [...LOCAL_CLIENTS, 'hub', 'reviewer-hook'] as const;
export type AnswerSource = (typeof ANSWER_SOURCES)[number];

export function isLocalClient(value: unknown): value is LocalClient {
  return typeof value === 'string' && (LOCAL_CLIENTS as readonly string[]).includes(value);
}

/** pending: a human may answer; reviewing: the reviewer hook has it (humans do not see it yet). */
export const APPROVAL_STATES = ['reviewing', 'pending', 'answered', 'expired', 'cancelled'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

/** `GET /v1/approvals?state=`: one state, or `all` (default: `pending`, what waits for a human). */
export const APPROVAL_STATE_FILTERS = ['pending', 'answered', 'expired', 'cancelled', 'all'] as const;
export type ApprovalStateFilter = (typeof APPROVAL_STATE_FILTERS)[number];

/** Who answered, with which tool, when (on the approval and in its audit record). */
export interface ApprovalAnswerView {
  decision: 'allow' | 'deny';
  scope: 'once' | 'always';
  /** The principal: the local user name, `reviewer-hook`, or (later) the hub's admin. */
  by: string;
  client: AnswerSource;
  at: string;
  /** Why (the reviewer hook's reason; absent for a human's answer). */
  reason?: string;
  /** An `always` answer wrote a session rule that `warden approvals revoke` can remove. */
  revocable?: boolean;
}

/** An `always` answer taken back: its session rule was removed. */
export interface ApprovalRevocationView {
  by: string;
  client: AnswerSource;
  at: string;
  /** False when the rule was already gone (replaced or the sandbox removed): nothing changed. */
  ruleRemoved: boolean;
}

/** Prompts shown to a human in the last hour, per sandbox (approval fatigue). */
export interface PromptRate {
  sandboxId: string;
  lastHour: number;
}
