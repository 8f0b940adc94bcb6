// The legacy package's entries type-checked against OpenLens' real extension API types
// (@k8slens/extensions 6.5.2, extension/node_modules) rather than the declared slice in
// extension/src/host/: the registrations (trayMenus, terminalShellEnvModifier,
// globalPages, statusBarItems, ...), Ipc and LensExtension as the host defines them.
// It caught a tray label typed `unknown` and a modifier's context narrower than the host's.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('the legacy entries type-check against @k8slens/extensions 6.5.2', () => {
  const api = path.join(root, 'extension', 'node_modules', '@k8slens', 'extensions', 'package.json');
  assert.ok(existsSync(api), 'run npm ci --prefix extension --legacy-peer-deps (the hosts\u2019 types)');
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'extension/src/legacy/tsconfig.lens-types.json',
    ],
    { cwd: root, encoding: 'utf8', timeout: 240_000 },
  );
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});
