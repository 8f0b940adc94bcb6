export { clientEnv, envName } from '../sandboxes/env.ts';
export { Daemon } from './daemon.ts';
export { type DaemonOptions, DaemonStartError } from './daemon-options.ts';
