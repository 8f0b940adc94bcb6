export type { Disposer, Listener } from './bus.ts';
export { EventBus } from './bus.ts';
export { userActionEvent } from './user-action.ts';
