// Where this package's `warden` command is, found from wherever this code was loaded
// (the sources or the bundle in dist/), so the daemon and the CLI can start each other.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/warden.mjs of this package; undefined when it cannot be found. */
export function findWardenBin(from: string = fileURLToPath(import.meta.url)): string | undefined {
  let dir = path.dirname(from);
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'bin', 'warden.mjs');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}
