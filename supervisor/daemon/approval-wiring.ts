// Who sees an approval besides the developer: the reviewer hook in force for its sandbox (the
// organisation policy's, else the daemon's flag, else a lower layer's; one hook per config so
// its concurrency cap holds), and, for approvals an organisation rule sends to IT, the relay
// to the team hub over the sync link; and the daemon's queue wired to them, to the policy
// layers (session rules) and to the sandboxes (re-decisions).

import type { ApprovalView } from '../api/index.ts';
import type { ReviewerSpec } from '../api/policy-schema.ts';
import { ApprovalQueue, type ApprovalQueueDeps } from '../approvals/index.ts';
import { ReviewerHook, type ReviewerHookConfig, type ReviewOutcome } from '../approvals/reviewer-hook.ts';
import type { EventBus } from '../events/index.ts';
import type { Policy } from '../policy/index.ts';
import type { Logger } from '../proxy/index.ts';
import type { PolicyLayers } from '../sandboxes/policy-layers.ts';
import type { Sandboxes } from '../sandboxes/sandboxes.ts';
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

export interface ApprovalWiring {
  bus: EventBus;
  emit: ApprovalQueueDeps['emit'];
  sync: SyncLink;
  log: Logger;
  /** The daemon's --reviewer-hook. */
  reviewerHook: ReviewerHookConfig | undefined;
  /** Built after the queue: read only when its callbacks run. */
  layers: () => PolicyLayers;
  sandboxes: () => Sandboxes;
}

/** The daemon's approvals queue and the relay of IT's approvals, woken by every approval event. */
export function wireApprovals(w: ApprovalWiring): { queue: ApprovalQueue; relay: ItApprovalRelay } {
  if (w.reviewerHook)
    w.log.info(`approvals go to the reviewer hook first (${new ReviewerHook(w.reviewerHook).describe})`);
  const relay = itRelay(w.sync, () => queue, w.log);
  w.bus.subscribe((e) => {
    if (e.type.startsWith('approval.')) relay.wake();
  });
  const queue: ApprovalQueue = new ApprovalQueue({
    emit: w.emit,
    addSessionRule: (sandboxId, rule, action, by, request) =>
      w.layers().addSessionRule(sandboxId, { ...rule, action }, by, request),
    previewSessionRule: (sandboxId, rule, action, request) =>
      w.layers().previewSessionRule(sandboxId, { ...rule, action }, request),
    redecide: (sandboxId, facts) => w.sandboxes().get(sandboxId).policy().decideRequest(facts).action,
    removeSessionRule: (sandboxId, rule, action, by) =>
      w.layers().removeSessionRule(sandboxId, { ...rule, action }, by),
    review: policyReviewer(w.reviewerHook, (id) => policyOrNone(() => w.sandboxes().get(id).policy())),
    itPending: () => relay.wake(),
    itExpired: (v) => relay.expiredReason(v),
  });
  return { queue, relay };
}
