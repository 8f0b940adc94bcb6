// Helpers shared by this folder's tests.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh temporary folder removed when the test ends. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-ca-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
