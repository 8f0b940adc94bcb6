// The one temporary-folder helper for tests: a fresh owner-only folder under the system's
// temp folder, removed when the test ends (tempDir) or when the caller says (makeTempDir,
// for helpers that run outside a test context).

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

export interface TempDir {
  dir: string;
  /** Removes the folder and everything in it. */
  dispose: () => void;
}

/** A fresh temporary folder, removed by `dispose`. */
export function makeTempDir(prefix = 'warden-test-'): TempDir {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh temporary folder, removed when the test `t` ends. */
export function tempDir(t: TestContext, prefix?: string): string {
  const { dir, dispose } = makeTempDir(prefix);
  t.after(dispose);
  return dir;
}
