// Who sees an approval besides the developer: the reviewer hook in force for its sandbox (the
// organisation policy's, else the daemon's flag, else a lower layer's; one hook per config so
// its concurrency cap holds), and, for approvals an organisation rule sends to IT, the relay
// to the team hub over the sync link.

import type { ApprovalView } from '../api/index.ts';
import type { ReviewerSpec } from '../api/policy-schema.ts';
import type { ApprovalQueue } from '../approvals/index.ts';
import { ReviewerHook, type ReviewerHookConfig, type ReviewOutcome } from '../approvals/reviewer-hook.ts';
import type { Policy } from '../policy/index.ts';
import type { SyncLink } from '../sync/index.ts';
import { ItApprovalRelay } from '../sync/it-relay.ts';

const HOOKS_KEPT = 16;

export function hookConfigOf(spec: ReviewerSpec): ReviewerHookConfig {
  const timeoutMs = Math.round((spec.deadlineSeconds ?? 10) * 1000);
  return spec.command ? { command: spec.command, timeoutMs } : { url: spec.url ?? '', timeoutMs };
}

/** The queue's `review`: the hook in force for the approval's sandbox, or undefined (none). */
export function policyReviewer(
  flag: ReviewerHookConfig | undefined,
  policyOf: (sandboxId: string) => Policy | undefined,
): (approval: ApprovalView, signal: AbortSignal) => Promise<ReviewOutcome> | undefined {
  const hooks = new Map<string, ReviewerHook>();
  const hookFor = (config: ReviewerHookConfig): ReviewerHook => {
    const key = JSON.stringify(config);
    let hook = hooks.get(key);
    if (!hook) {
      hook = new ReviewerHook(config);
      if (hooks.size >= HOOKS_KEPT) hooks.delete(hooks.keys().next().value as string);
      hooks.set(key, hook);
    }
    return hook;
  };
  return (approval, signal) => {
    const inPolicy = policyOf(approval.sandboxId)?.reviewer;
    const config =
      inPolicy?.layer === 'organisation' || !flag ? inPolicy && hookConfigOf(inPolicy.spec) : flag;
    if (!config) return undefined;
    try {
      return hookFor(config).review(approval, signal);
    } catch (error) {
      // A hook the policy names but that cannot run (a bad URL): fail closed, saying why.
      return Promise.reject(error);
    }
  };
}

/** The relay of IT's approvals, woken by every approval event. */
export function itRelay(
  sync: SyncLink,
  queue: () => ApprovalQueue,
  log: { warn(message: string): void },
): ItApprovalRelay {
  return new ItApprovalRelay({
    hub: () => sync.hub(),
    open: () =>
      queue()
        .list('pending')
        .filter((a) => a.approver === 'it'),
    apply: (a) => queue().answer(a.id, { decision: a.decision, scope: 'once' }, { by: a.by, client: 'hub' }),
    log,
  });
}

/** A sandbox's policy, or undefined when the sandbox is gone. */
export function policyOrNone(get: () => Policy): Policy | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}
