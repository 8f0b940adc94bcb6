export { KEEP_ENDED, runTask, type StartTask, TaskBoard, type TaskHandle, UPDATE_MS } from './board.ts';
export { taskHandlers } from './handlers.ts';
