export type { DaemonOptions } from './daemon.ts';
export { Daemon, DaemonStartError } from './daemon.ts';
export { clientEnv, envName } from './env.ts';
