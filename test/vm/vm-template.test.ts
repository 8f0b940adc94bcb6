// Snapshot templates with real QEMU (TCG, the minimal image): one is built (booted, saved,
// renamed into place), found again, and refused once damaged or foreign; keys differ when
// any part of what a restore must share changes.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import type { VmImage } from '../../supervisor/vm/index.ts';
import { defaultProxyConnectCommand } from '../../supervisor/vm/qemu-args.ts';
import type { TemplateShape } from '../../supervisor/vm/template-args.ts';
import { templateKeyId, VmTemplates } from '../../supervisor/vm/vm-template.ts';
import { tempDir } from '../support/temp-dir.ts';
import { buildTestImage } from './image.ts';

describe('VM snapshot templates (real QEMU)', { timeout: 400_000 }, () => {
  let image: VmImage;
  before(async () => {
    image = (await buildTestImage()).image;
  });

  const templates = (dir: string) =>
    new VmTemplates({
      dir: path.join(dir, 'templates'),
      runDir: path.join(dir, 'run'),
      qemuBinary: 'qemu-system-x86_64',
      proxyConnectCommand: defaultProxyConnectCommand('busybox'),
    });

  test('a key changes with each part a restore must share', async (t) => {
    const store = templates(tempDir(t, 'wtkey-'));
    const shape: TemplateShape = { image, accel: 'tcg', cpus: 1, memoryMiB: 512, diskMiB: 1024 };
    const base = templateKeyId(await store.key(shape));
    assert.equal(templateKeyId(await store.key({ ...shape })), base, 'the same shape, the same key');
    const variants: TemplateShape[] = [
      { ...shape, cpus: 2 },
      { ...shape, memoryMiB: 768 },
      { ...shape, diskMiB: 2048 },
      { ...shape, accel: 'kvm' },
      { ...shape, image: { ...image, id: 'f'.repeat(64) } },
    ];
    const ids = new Set([
      base,
      ...(await Promise.all(variants.map(async (v) => templateKeyId(await store.key(v))))),
    ]);
    assert.equal(ids.size, variants.length + 1);
    assert.match((await store.key(shape)).qemuVersion, /^QEMU emulator version \d/);
  });

  test('a template is built, found, and refused when damaged or foreign', async (t) => {
    const dir = tempDir(t, 'wtpl-');
    const store = templates(dir);
    const shape: TemplateShape = { image, accel: 'tcg', cpus: 1, memoryMiB: 512, diskMiB: 1024 };
    const key = await store.key(shape);
    assert.deepEqual(store.find(key), { why: 'none built yet' });
    // Left by a daemon killed mid-build, and a template of an image since removed: pruned by a build.
    mkdirSync(path.join(dir, 'templates', '.build-stale'), { recursive: true });
    mkdirSync(path.join(dir, 'templates', 'gone'));
    writeFileSync(
      path.join(dir, 'templates', 'gone', 'meta.json'),
      JSON.stringify({ imageDir: path.join(dir, 'no-image') }),
    );
    const started = Date.now();
    const built = await store.build(shape);
    assert.deepEqual(readdirSync(path.join(dir, 'templates')), [path.basename(built.dir)]);
    // Another local user reads nothing of a template (its RAM is a guest's memory).
    for (const f of [built.dir, ...readdirSync(built.dir).map((n) => path.join(built.dir, n))])
      assert.equal(statSync(f).mode & 0o077, 0, `${f} is the owner's only`);
    process.stderr.write(`template built in ${Date.now() - started} ms\n`);
    const metaFile = path.join(built.dir, 'meta.json');
    const longAgo = new Date(Date.now() - 86_400_000);
    utimesSync(metaFile, longAgo, longAgo);
    const found = store.find(key);
    assert.ok('template' in found, JSON.stringify(found));
    assert.ok(statSync(metaFile).mtimeMs > longAgo.getTime() + 60_000, 'a find marks its use, for pruning');
    assert.equal(found.template.dir, built.dir);
    assert.match(found.template.hello.agent, /^warden-agent/);
    assert.deepEqual(store.find({ ...key, memoryMiB: 768 }), { why: 'none built yet' });

    const state = path.join(built.dir, 'state');
    const good = readFileSync(state);
    const damaged = Buffer.from(good);
    const mid = damaged.length >> 1;
    damaged[mid] = (damaged[mid] ?? 0) ^ 0xff;
    writeFileSync(state, damaged);
    assert.deepEqual(store.find(key), { why: 'its device state file is damaged' });
    writeFileSync(state, good);
    assert.ok('template' in store.find(key));

    const meta = path.join(built.dir, 'meta.json');
    const m = JSON.parse(readFileSync(meta, 'utf8'));
    writeFileSync(meta, JSON.stringify({ ...m, key: { ...m.key, qemuVersion: 'QEMU emulator version 0' } }));
    assert.deepEqual(store.find(key), { why: 'its meta.json names another key' });
    writeFileSync(meta, '{"key":');
    assert.match((store.find(key) as { why: string }).why, /^unreadable meta.json/);
  });
});
