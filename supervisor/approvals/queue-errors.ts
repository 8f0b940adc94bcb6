// The errors the approvals queue throws: no such approval, or one that is no longer open.

import { WardenError } from '../api/errors.ts';
import type { ApprovalView } from '../api/index.ts';

export class ApprovalNotFoundError extends WardenError {
  constructor(id: string) {
    super(
      'ApprovalNotFound',
      `no pending approval ${id}: it was answered, expired, or never existed`,
      'list what is waiting with: warden approvals',
    );
  }
}

/**
 * An answer to an approval that already closed: named ApprovalNotFound (404) as before the
 * inbox kept history, so clients that drop a card on it keep doing so, but saying what became of it.
 */
export function closedError(v: ApprovalView): WardenError {
  const when = v.closedAt ?? 'earlier';
  const what =
    v.state === 'answered' && v.answer
      ? `was answered ${v.answer.decision} (${v.answer.scope}) by ${v.answer.by} from ${v.answer.client} at ${when}`
      : v.state === 'expired'
        ? `expired at ${when}: its requests were denied`
        : `was cancelled at ${when}${v.cancelReason ? ` (${v.cancelReason})` : ''}`;
  return new WardenError(
    'ApprovalNotFound',
    `approval ${v.id} is no longer waiting: it ${what}`,
    'see the history with: warden approvals --state all',
  );
}

/** A local answer to an approval the organisation sends to IT: only the team hub's counts. */
export function itOnlyError(v: ApprovalView): WardenError {
  return new WardenError(
    'ApprovalForIt',
    `approval ${v.id} (${v.method} ${v.host}${v.path}) is waiting for IT: the organisation policy says IT answers it on the team hub, not this device`,
    'ask your IT administrator to answer it on the team hub (Approvals); it is denied if nobody does before it expires',
  );
}
