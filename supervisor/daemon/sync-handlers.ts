// The team hub's sync link in the local API: its status, and enrollment (recorded as a user
// action; the enrollment string's token never reaches a log or a record).

import type { WardenEvent } from '../api/index.ts';
import { userActionEvent } from '../events/index.ts';
import type { Handlers } from '../server/server.ts';
import type { SyncLink } from '../sync/index.ts';

export function syncHandlers(
  link: SyncLink,
  emit: (event: WardenEvent) => void,
): Pick<Handlers, 'GET /v1/sync/status' | 'POST /v1/sync/enroll'> {
  return {
    'GET /v1/sync/status': () => link.status(),
    'POST /v1/sync/enroll': async ({ body, user }) => {
      const done = await link.enroll(body.enrollment);
      emit(userActionEvent(user, 'sync.enroll', `${done.hub} as device ${done.deviceId}`));
      return done;
    },
  };
}
