// The state folder chosen in the preferences (main keeps it in the extension's own folder):
// the extension moves to the daemon of that folder at once, keeps the choice across an
// activation, refuses a folder that is not an absolute path, and goes back to $WARDEN_HOME
// when the choice is cleared.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildFreelensPackage } from '../../extension/build.mjs';
import type { Snapshot, StateFolderResult } from '../../extension/src/common/ipc.ts';
import { WARDEN_IPC } from '../../extension/src/common/ipc.ts';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { type LoadedExtension, loadFreelensExtension } from '../support/freelens-host.ts';
import { makeTempDir, tempDir } from '../support/temp-dir.ts';

const built = makeTempDir('warden-freelens-pkg-');
const pkg = path.join(built.dir, 'freelens');
let a: TestDaemon;
let b: TestDaemon;

before(async () => {
  await buildFreelensPackage({ outdir: pkg });
  a = await startTestDaemon({ homePrefix: 'warden-home-a-' });
  b = await startTestDaemon({ homePrefix: 'warden-home-b-' });
});
after(async () => {
  await a.stop();
  await b.stop();
  built.dispose();
});

const snapshot = async (ext: LoadedExtension) => (await ext.invoke(WARDEN_IPC.snapshot)) as Snapshot;

async function connectedTo(ext: LoadedExtension, d: TestDaemon): Promise<Snapshot> {
  return until(
    `the extension to connect to ${d.home}`,
    async () => {
      const s = await snapshot(ext);
      return (
        s.connection.kind === 'connected' && s.connection.where === path.join(d.home, 'warden.sock') && s
      );
    },
    10_000,
  );
}

test('a chosen state folder: used at once, kept across activations, cleared back to $WARDEN_HOME', async (t) => {
  const files = tempDir(t, 'warden-freelens-files-');
  process.env.WARDEN_HOME = a.home;
  const ext = await loadFreelensExtension(pkg, { filesDir: files });
  await connectedTo(ext, a);

  for (const bad of ['relative/folder', '', 42, 'x\0y', `/${'a'.repeat(5000)}`]) {
    const refused = (await ext.invoke(WARDEN_IPC.setStateFolder, bad)) as StateFolderResult;
    assert.equal(refused.ok, false, `refused: ${String(bad).slice(0, 40)}`);
  }
  const chosen = (await ext.invoke(WARDEN_IPC.setStateFolder, b.home)) as StateFolderResult;
  assert.deepEqual(chosen.ok && chosen.location.home, b.home);
  const onB = await connectedTo(ext, b);
  assert.equal(onB.stateFolder, b.home);
  assert.deepEqual(JSON.parse(readFileSync(path.join(files, 'preferences.json'), 'utf8')), {
    stateFolder: b.home,
  });
  await ext.deactivate();

  // Activated again (Freelens restarted): the choice holds.
  const again = await loadFreelensExtension(pkg, { filesDir: files });
  t.after(() => again.deactivate());
  await connectedTo(again, b);
  const cleared = (await again.invoke(WARDEN_IPC.setStateFolder, null)) as StateFolderResult;
  assert.equal(cleared.ok, true);
  const onA = await connectedTo(again, a);
  assert.equal(onA.stateFolder, undefined);
});

test('a preferences file that is not JSON is ignored with a line in the log', async (t) => {
  const files = tempDir(t, 'warden-freelens-files-');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path.join(files, 'preferences.json'), '{ not json');
  process.env.WARDEN_HOME = a.home;
  const ext = await loadFreelensExtension(pkg, { filesDir: files });
  t.after(() => ext.deactivate());
  await connectedTo(ext, a);
  assert.ok(ext.logs.some((l) => l.startsWith('warn ') && l.includes('is not JSON')));
});
