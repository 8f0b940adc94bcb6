import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureHome, type HomeFs } from './paths.ts';

/** A home folder with this mode and owner; chmod records its calls (or fails with `chmodError`). */
function fakeFs(mode: number, uid: number, chmodError?: string): HomeFs & { chmods: number[] } {
  const chmods: number[] = [];
  return {
    chmods,
    mkdirSync: (() => undefined) as unknown as HomeFs['mkdirSync'],
    statSync: () => ({ isDirectory: () => true, mode: 0o040000 | mode, uid }),
    lstatSync: (file) =>
      file === '/h'
        ? { isDirectory: () => true, isSymbolicLink: () => false, mode: 0o040000 | mode, uid }
        : { isDirectory: () => true, isSymbolicLink: () => false, mode: 0o040755, uid: 0 },
    realpathSync: (file) => file,
    chmodSync: ((_file: string, m: number) => {
      if (chmodError) throw Object.assign(new Error(chmodError), { code: chmodError });
      chmods.push(m);
    }) as HomeFs['chmodSync'],
    getuid: () => 1000,
  };
}

test('an owner-only home is used as it is', { skip: process.platform === 'win32' }, () => {
  const fs = fakeFs(0o700, 1000);
  assert.equal(ensureHome('/h', fs), null);
  assert.deepEqual(fs.chmods, []);
});

test('a home others can read is tightened to 0700, and the note says from what', {
  skip: process.platform === 'win32',
}, () => {
  const fs = fakeFs(0o755, 1000);
  assert.match(
    ensureHome('/h', fs) ?? '',
    /\/h was mode 755 \(other users could read it\); tightened to 700/,
  );
  assert.deepEqual(fs.chmods, [0o700]);
});

test('a readable home that cannot be tightened is refused with the chmod to run', {
  skip: process.platform === 'win32',
}, () => {
  assert.throws(() => ensureHome('/h', fakeFs(0o750, 1000, 'EPERM')), /mode 750.*EPERM.*run: chmod 700 \/h/);
});

test('a home others can write, or another user owns, is refused with what to do', {
  skip: process.platform === 'win32',
}, () => {
  assert.throws(
    () => ensureHome('/h', fakeFs(0o777, 1000)),
    /written by other users \(mode 777\).*chmod 700 \/h/,
  );
  assert.throws(
    () => ensureHome('/h', fakeFs(0o700, 0)),
    /belongs to another user \(uid 0, not 1000\).*chown 1000 \/h/,
  );
});

test('a home under a folder anyone can write (not sticky) is refused: others could swap it', {
  skip: process.platform === 'win32',
}, () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'warden-home-parent-'));
  try {
    const open = path.join(base, 'shared');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const home = path.join(open, 'warden');
    assert.throws(() => ensureHome(home), /can be written by other users.*not sticky.*chmod o-w/);
    chmodSync(open, 0o1777);
    assert.equal(ensureHome(home), null, 'a sticky folder (like /tmp) keeps our entry ours');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a home reached through a symlink another user owns is refused: they could re-point it', {
  skip: process.platform === 'win32',
}, () => {
  const fs = fakeFs(0o700, 1000);
  const lstat = (file: string) =>
    file === '/tmp/h'
      ? { isDirectory: () => false, isSymbolicLink: () => true, mode: 0o120777, uid: 1001 }
      : { isDirectory: () => true, isSymbolicLink: () => false, mode: 0o041777, uid: 0 };
  assert.throws(
    () => ensureHome('/tmp/h', { ...fs, lstatSync: lstat, realpathSync: () => '/home/u/h' }),
    /reached through \/tmp\/h, which belongs to another user \(uid 1001\)/,
  );
});
