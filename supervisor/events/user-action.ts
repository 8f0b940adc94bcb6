// The event that records an action a user took through the API (audited as API Activity).

import type { UserActionEvent } from '../api/events.ts';

export function userActionEvent(
  user: string,
  action: string,
  target: string,
  sandboxId?: string,
): UserActionEvent {
  return {
    type: 'user.action',
    time: new Date().toISOString(),
    user,
    action,
    target,
    ...(sandboxId ? { sandboxId } : {}),
  };
}
