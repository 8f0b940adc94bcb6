import assert from 'node:assert/strict';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.ts';
import { assertOwnerOnly, PrivateFileModeError, writeFileAtomic } from './index.ts';

test('writeFileAtomic replaces content, sets the exact mode despite the umask, leaves no temp file', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'f');
  await writeFile(file, 'old', { mode: 0o644 });
  const umask = process.umask(0o077);
  try {
    await writeFileAtomic(file, 'new', { mode: 0o640 });
  } finally {
    process.umask(umask);
  }
  assert.equal(await readFile(file, 'utf8'), 'new');
  assert.equal((await stat(file)).mode & 0o777, 0o640);
  await writeFileAtomic(file, 'newer');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ['f']);
});

test('writeFileAtomic exclusive refuses to replace an existing file', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'f');
  await writeFileAtomic(file, 'first', { exclusive: true });
  await assert.rejects(writeFileAtomic(file, 'second', { exclusive: true }), { code: 'EEXIST' });
  assert.equal(await readFile(file, 'utf8'), 'first');
  assert.deepEqual(await readdir(dir), ['f']);
});

test('assertOwnerOnly refuses group/world access and says how to fix it', async (t) => {
  const file = path.join(tempDir(t), 'k');
  await writeFileAtomic(file, 'x');
  await assertOwnerOnly(file, 'key');
  for (const mode of [0o640, 0o604, 0o660]) {
    await chmod(file, mode);
    await assert.rejects(assertOwnerOnly(file, 'key'), (err: Error) => {
      assert.ok(err instanceof PrivateFileModeError);
      assert.ok(err.message.includes(`chmod 600 ${file}`), err.message);
      return true;
    });
  }
});
