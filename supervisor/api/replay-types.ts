// What-if replay (issue 18): a policy change judged against what agents actually did. The
// daemon reads every request the audit trail recorded, decides each distinct request shape
// (sandbox, scheme, host, port, method, path) with the policy before and after the change,
// and lists the shapes whose outcome differs, with how often and when they were seen. It
// runs as a task (`policy.replay`): progress and cancel come from the task board.

import { type Static, Type } from '@sinclair/typebox';
import type { Action, RuleRef } from './policy-types.ts';
import { RuleInput } from './requests.ts';
import type { TaskState } from './tasks.ts';

const strict = { additionalProperties: false } as const;
const PolicyText = Type.Object(
  { yaml: Type.String({ maxLength: 1_000_000 }), source: Type.Optional(Type.String({ maxLength: 4096 })) },
  strict,
);

/** Two policy files, each a project layer over an optional base (as `warden policy diff`). */
export const ReplayDocumentsSchema = Type.Object(
  {
    kind: Type.Literal('documents'),
    before: PolicyText,
    after: PolicyText,
    base: Type.Optional(PolicyText),
  },
  strict,
);

/** An edit of the base or of a sandbox's project layer (the Policy view's dry run). */
export const ReplayLayerSchema = Type.Object(
  {
    kind: Type.Literal('layer'),
    layer: Type.Union([Type.Literal('base'), Type.Literal('project')]),
    sandboxId: Type.Optional(Type.String({ maxLength: 200 })),
    yaml: Type.String({ maxLength: 1_000_000 }),
  },
  strict,
);

/** The session rule an "always" answer to a waiting approval would add. */
export const ReplayApprovalSchema = Type.Object(
  {
    kind: Type.Literal('approval'),
    approvalId: Type.String({ maxLength: 200 }),
    decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
    rule: Type.Optional(RuleInput),
  },
  strict,
);

export const ReplayRequestSchema = Type.Object(
  {
    change: Type.Union([ReplayDocumentsSchema, ReplayLayerSchema, ReplayApprovalSchema]),
    /** Only requests at or after this time: ISO-8601, or a duration ago (`30m`, `7d`). */
    since: Type.Optional(Type.String({ maxLength: 100 })),
    /** Only this sandbox's requests. */
    sandbox: Type.Optional(Type.String({ maxLength: 200 })),
  },
  strict,
);

export type ReplayRequest = Static<typeof ReplayRequestSchema>;
export type ReplayChangeSpec = ReplayRequest['change'];

/** `POST /v1/policy/replay`: the task the replay runs as (follow it, then fetch its result). */
export interface ReplayStarted {
  taskId: string;
}

/** How one policy decides a recorded request shape. `tunnel`: a CONNECT decided by what is inside. */
export interface ReplayOutcome {
  action: Action | 'tunnel';
  rule: RuleRef | null;
  reason: string;
}

/** One request shape the audit trail holds whose outcome differs between the two policies. */
export interface ReplayDifference {
  /** null for requests recorded without a sandbox. */
  sandboxId: string | null;
  scheme: string;
  host: string;
  port: number;
  method: string;
  path: string;
  /** How many recorded requests had this shape. */
  count: number;
  firstSeen: string;
  lastSeen: string;
  before: ReplayOutcome;
  after: ReplayOutcome;
}

/** `GET /v1/policy/replay/:taskId`. */
export interface ReplayResult {
  taskId: string;
  state: TaskState;
  /** Request records read so far (all of them once done). */
  scanned: number;
  /** Distinct shapes among them. */
  shapes: number;
  /** Records that could not be read as requests (a pre-schema 2 row). */
  skipped: number;
  /** Epoch ms the replay read from, when `since` was given. */
  since?: number;
  sandbox?: string;
  /** Sorted by sandbox, then most seen first. At most REPLAY_MAX_DIFFERENCES. */
  differences: ReplayDifference[];
  /** True when more shapes differ than are listed. */
  truncated: boolean;
  /** Recorded requests (not shapes) decided differently, all of them. */
  requestsDiffering: number;
  durationMs?: number;
  error?: string;
}

export const REPLAY_MAX_DIFFERENCES = 5000;
