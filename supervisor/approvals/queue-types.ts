// What the approvals queue is given and gives back: a request's ask, the outcome its waiters
// get, the daemon's callbacks, and who answers.

import type { AnswerSource } from '../api/approval-types.ts';
import type {
  ApprovalDecision,
  ApprovalScope,
  ApprovalView,
  Identity,
  McpCallView,
  PackageHoldView,
  RequestFacts,
  RuleRef,
  WardenEvent,
} from '../api/index.ts';
import type { PolicyDiff } from '../api/policy-types.ts';
import type { BudgetHoldView } from '../api/spend.ts';
import type { ReviewOutcome } from './reviewer-hook.ts';

export type ApprovalOutcome =
  | {
      kind: 'answered';
      approvalId: string;
      decision: ApprovalDecision;
      scope: ApprovalScope;
      by: string;
      /** Why (the reviewer hook's reason). */
      reason?: string;
    }
  | {
      kind: 'expired';
      approvalId: string;
      timeoutSeconds: number;
      /** Why nobody answered, when more is known (IT's approval: the team hub's state). */
      why?: string;
    }
  | { kind: 'cancelled'; approvalId: string; reason: string };

export interface ApprovalAsk {
  identity: Identity;
  facts: RequestFacts;
  reason: string;
  rule: RuleRef | null;
  suggestedRule: ApprovalView['suggestedRule'];
  timeoutSeconds: number;
  signal?: AbortSignal;
  /** An MCP call held by spec.mcp: its card shows the call; it is answered once only. */
  mcp?: McpCallView;
  /** A model API request held at a budget (`action: ask`): its card shows the budget; once only. */
  budget?: BudgetHoldView;
  /** `it`: only the team hub's answer counts (no reviewer hook, no local answer). */
  approver?: 'it';
  /** A package version held by spec.packages: its card shows it; it is answered once only. */
  package?: PackageHoldView;
}

export interface ApprovalQueueDeps {
  emit: (event: WardenEvent) => void;
  /**
   * Add a rule for `always` answers to the sandbox's session layer; returns the diff.
   * `by` answered; `request` is what asked (the diff's first example).
   */
  addSessionRule: (
    sandboxId: string,
    rule: ApprovalView['suggestedRule'],
    action: ApprovalDecision,
    by: string,
    request: RequestFacts,
  ) => PolicyDiff;
  /** The diff an `always` answer would apply, changing nothing. */
  previewSessionRule?: (
    sandboxId: string,
    rule: ApprovalView['suggestedRule'],
    action: ApprovalDecision,
    request: RequestFacts,
  ) => PolicyDiff;
  /** Re-decide a request against the sandbox's current policy (after an `always`). */
  redecide: (sandboxId: string, facts: RequestFacts) => 'allow' | 'deny' | 'ask';
  /** Remove the session rule an `always` answer added; false when it is no longer there. */
  removeSessionRule?: (
    sandboxId: string,
    rule: ApprovalView['suggestedRule'],
    action: ApprovalDecision,
    by: string,
  ) => boolean;
  /**
   * The reviewer hook: sees each approval before a human does (`signal`: the approval closed
   * first); undefined when no hook is set for this approval's sandbox.
   */
  review?: (approval: ApprovalView, signal: AbortSignal) => Promise<ReviewOutcome> | undefined;
  /** An approval for IT is waiting (the sync link sends it to the hub). */
  itPending?: (approval: ApprovalView) => void;
  /** Why an approval for IT expired (the team hub's state, for the refusal). */
  itExpired?: (approval: ApprovalView) => string;
  /** Closed approvals kept (default history.ts HISTORY_LIMIT). */
  historyLimit?: number;
  now?: () => number;
}

/** Who answers: the principal and the tool. */
export interface Answerer {
  by: string;
  client: AnswerSource;
  reason?: string;
}
