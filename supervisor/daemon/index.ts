export { clientEnv, envName } from '../sandboxes/env.ts';
export type { DaemonOptions } from './daemon.ts';
export { Daemon, DaemonStartError } from './daemon.ts';
