// The managed file: enforced when root owns it and every folder above it, ignored with the
// reason when a user owns the file or its folder, when it is writable by others, a symlink,
// too large or invalid. Needs root (CI runs as root) to make root- and user-owned files.

import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.ts';
import {
  defaultManagedDir,
  loadManagedPolicy,
  MAX_ORGANISATION_POLICY_BYTES,
  policyHash,
} from './managed-file.ts';

const NOBODY = 65534;
const root = process.getuid?.() === 0;
const POLICY = [
  'apiVersion: warden.dev/v1',
  'kind: Policy',
  'metadata: { name: acme-it }',
  'spec:',
  '  network:',
  '    default: ask',
  '    rules:',
  '      - { match: evil.example, action: deny, description: exfiltration host }',
  '',
].join('\n');

function managedDir(t: Parameters<typeof tempDir>[0]): string {
  const dir = path.join(tempDir(t, 'wmanaged-'), 'warden');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  return dir;
}

describe('managed policy file', {
  skip: root ? false : 'needs root to own files as root and as nobody',
}, () => {
  test('a root-owned file in root-owned folders is enforced, with its hash', async (t) => {
    const dir = managedDir(t);
    writeFileSync(path.join(dir, 'managed.yaml'), POLICY, { mode: 0o644 });
    const found = await loadManagedPolicy(dir);
    assert.equal(found.warning, undefined);
    assert.equal(found.layer?.layer, 'organisation');
    assert.equal(found.layer?.origin?.hash, policyHash(POLICY));
    assert.equal(found.layer?.origin?.kind, 'managed');
    assert.equal(found.layer?.document.spec.network?.rules?.[0]?.match, 'evil.example');
  });

  test('no file: nothing, and no warning', async (t) => {
    assert.deepEqual(await loadManagedPolicy(managedDir(t)), {});
    assert.deepEqual(await loadManagedPolicy('/nonexistent/warden'), {});
  });

  const cases: Array<[string, (dir: string, file: string) => void, RegExp]> = [
    ['a user-owned copy', (_d, f) => chownSync(f, NOBODY, NOBODY), /owned by uid 65534, not root/],
    [
      'a world-writable file',
      (_d, f) => chmodSync(f, 0o666),
      /writable by its group or by everyone \(mode 666\)/,
    ],
    ['a group-writable file', (_d, f) => chmodSync(f, 0o664), /mode 664/],
    ['a user-owned folder', (d) => chownSync(d, NOBODY, NOBODY), /the folder .*warden is owned by uid 65534/],
    [
      'a user-owned folder higher up',
      (d) => chownSync(path.dirname(d), NOBODY, NOBODY),
      /owned by uid 65534/,
    ],
    ['a world-writable folder without the sticky bit', (d) => chmodSync(d, 0o777), /mode 777/],
  ];
  for (const [name, spoil, reason] of cases) {
    test(`${name} is ignored with the reason`, async (t) => {
      const dir = managedDir(t);
      const file = path.join(dir, 'managed.yaml');
      writeFileSync(file, POLICY, { mode: 0o644 });
      spoil(dir, file);
      const found = await loadManagedPolicy(dir);
      assert.equal(found.layer, undefined);
      assert.match(found.warning ?? '', /managed\.yaml is ignored: /);
      assert.match(found.warning ?? '', reason);
    });
  }

  test('a symlink to a root-owned policy elsewhere is ignored', async (t) => {
    const dir = managedDir(t);
    const elsewhere = path.join(path.dirname(dir), 'other.yaml');
    writeFileSync(elsewhere, POLICY, { mode: 0o644 });
    symlinkSync(elsewhere, path.join(dir, 'managed.yaml'));
    assert.match((await loadManagedPolicy(dir)).warning ?? '', /symbolic link/);
  });

  test('a huge or invalid file is ignored unread or with its errors', async (t) => {
    const dir = managedDir(t);
    const file = path.join(dir, 'managed.yaml');
    writeFileSync(file, `${POLICY}#${'x'.repeat(MAX_ORGANISATION_POLICY_BYTES)}\n`, { mode: 0o644 });
    assert.match((await loadManagedPolicy(dir)).warning ?? '', /over the 1048576-byte limit/);
    writeFileSync(file, POLICY.replace('deny', 'block'), { mode: 0o644 });
    assert.match((await loadManagedPolicy(dir)).warning ?? '', /not a valid policy: .*managed\.yaml:8/);
  });
});

test('the managed folder of each platform', () => {
  assert.equal(defaultManagedDir('linux'), '/etc/warden');
  assert.equal(defaultManagedDir('darwin'), '/Library/Application Support/Warden');
  assert.equal(defaultManagedDir('win32', { ProgramData: 'D:\\PD' }), 'D:\\PD\\Warden');
});
