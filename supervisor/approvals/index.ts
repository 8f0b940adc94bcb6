export type { Answerer, ApprovalAsk, ApprovalOutcome, ApprovalQueueDeps } from './queue.ts';
export { ApprovalNotFoundError, ApprovalQueue } from './queue.ts';
export type { ReviewerHookConfig, ReviewOutcome } from './reviewer-hook.ts';
export { checkReviewerHook, ReviewerHook } from './reviewer-hook.ts';
