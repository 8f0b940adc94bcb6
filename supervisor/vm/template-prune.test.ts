import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.ts';
import { pruneTemplates } from './template-prune.ts';

const QEMU = 'QEMU emulator version 10.0.2';

test('prune removes stale builds, templates of a gone image, another QEMU or format, and the least recently used', (t) => {
  const root = tempDir(t, 'wprune-');
  const dir = path.join(root, 'templates');
  const image = path.join(root, 'image');
  mkdirSync(image, { recursive: true });
  const template = (name: string, meta: object, usedHoursAgo = 0) => {
    mkdirSync(path.join(dir, name), { recursive: true });
    const file = path.join(dir, name, 'meta.json');
    writeFileSync(file, JSON.stringify(meta));
    const when = new Date(Date.now() - usedHoursAgo * 3_600_000);
    utimesSync(file, when, when);
  };
  const key = { format: 1, qemuVersion: QEMU };
  mkdirSync(path.join(dir, '.build-stale'), { recursive: true });
  mkdirSync(path.join(dir, '.build-live'), { recursive: true });
  mkdirSync(path.join(dir, 'not-a-template'), { recursive: true });
  template('gone', { key, imageDir: path.join(root, 'removed-image') });
  template('old-qemu', { key: { ...key, qemuVersion: 'QEMU emulator version 9.2.0' }, imageDir: image });
  template('old-format', { key: { ...key, format: 0 }, imageDir: image });
  for (const [i, name] of ['used-5h', 'used-4h', 'used-3h', 'used-2h', 'used-1h'].entries())
    template(name, { key, imageDir: image }, 5 - i);

  const removed = pruneTemplates(dir, {
    building: new Set([path.join(dir, '.build-live')]),
    format: 1,
    qemuVersion: QEMU,
  });
  assert.deepEqual(removed.sort(), ['.build-stale', 'gone', 'old-format', 'old-qemu', 'used-5h']);
  assert.deepEqual(readdirSync(dir).sort(), [
    '.build-live',
    'not-a-template',
    'used-1h',
    'used-2h',
    'used-3h',
    'used-4h',
  ]);
  assert.deepEqual(
    pruneTemplates(dir, { building: new Set(), format: 1, qemuVersion: QEMU, kept: 2 }).sort(),
    ['.build-live', 'used-3h', 'used-4h'],
  );
  assert.deepEqual(
    pruneTemplates(path.join(root, 'none'), { building: new Set(), format: 1, qemuVersion: QEMU }),
    [],
  );
});
