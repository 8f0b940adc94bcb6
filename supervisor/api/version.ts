// The version, written once: package.json's, read at bundle time (esbuild inlines only this
// field) and through tsx from sources.

import { version } from '../../package.json';

export const VERSION: string = version;
