// The tasks' routes: what long work is running (and how recent work ended), and cancel.

import type { Handlers } from '../server/server.ts';
import type { TaskBoard } from './board.ts';

type TaskRoutes = 'GET /v1/tasks' | 'POST /v1/tasks/:taskId/cancel';

export function taskHandlers(board: TaskBoard): Pick<Handlers, TaskRoutes> {
  return {
    'GET /v1/tasks': () => board.list(),
    'POST /v1/tasks/:taskId/cancel': ({ params }) => ({ task: board.cancel(params.taskId) }),
  };
}
