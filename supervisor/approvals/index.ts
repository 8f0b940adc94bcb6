export type { ApprovalAsk, ApprovalOutcome, ApprovalQueueDeps } from './queue.ts';
export { ApprovalNotFoundError, ApprovalQueue } from './queue.ts';
