// What-if replay (issue 18): a policy change judged against the requests the audit trail
// recorded, in worker threads, as a task with progress and cancel.

export { outcomeOf, PairDecider, type PolicyPair, type ReplayPairs } from './decide-shapes.ts';
export { formatReplay, REPLAY_HEADING } from './format.ts';
export { type ReplayFigures, type ReplayScan, runReplay } from './run-replay.ts';
export { KEEP_RESULTS, ReplayService, type ReplayStart } from './service.ts';
