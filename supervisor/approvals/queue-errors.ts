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

export function closedError(v: ApprovalView): WardenError {
  const when = v.closedAt ?? 'earlier';
  const what =
    v.state === 'answered' && v.answer
      ? `was already answered ${v.answer.decision} (${v.answer.scope}) by ${v.answer.by} from ${v.answer.client} at ${when}`
      : v.state === 'expired'
        ? `expired at ${when}: its requests were denied`
        : `was cancelled at ${when}${v.cancelReason ? ` (${v.cancelReason})` : ''}`;
  return new WardenError(
    'ApprovalClosed',
    `approval ${v.id} ${what}`,
    'see the history with: warden approvals --state all',
  );
}
