// OCSF NDJSON files export: a device's records, synced to a real hub, written as daily gzip
// files in one folder per OCSF class (Security Lake's custom-source layout); a later round
// appends a gzip member that reads back as one stream; each line is the device's OCSF object
// with the dedupe key under unmapped.warden. A relative folder is refused.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { VERSION } from '../../supervisor/api/version.ts';
import { addExportTarget, exportStatuses, runnerFor } from '../../supervisor/hub/exports/index.ts';
import { TestDevice } from '../support/hub/device.ts';
import { startTestHub } from '../support/hub/hub.ts';
import { tempDir } from '../support/temp-dir.ts';

test('OCSF NDJSON: one folder per class, one gzip file per event day, appended', async (t) => {
  const hub = await startTestHub(t, 'sqlite');
  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  device.append(1500);
  const client = await hub.enroll(device);
  for (let after = 0; after < 1500; after += 1000)
    assert.equal((await client.batch(device.rows(after, 1000))).status, 200);
  const dir = tempDir(t, 'warden-ocsf-');
  const target = await addExportTarget(hub.service.store, 'files', dir, undefined, hub.service.now());
  const runner = runnerFor(hub.service.store, target, VERSION);
  assert.deepEqual(await runner.round(), { sent: 1500, rejected: 0, error: null });

  const own = device.store.get(1)!;
  const d = new Date(own.time).toISOString().slice(0, 10).replace(/-/g, '');
  const classDir = `class_uid=${own.ocsf.class_uid}`;
  assert.deepEqual(readdirSync(dir), [classDir]);
  const file = path.join(dir, classDir, `eventDay=${d}`, `warden-${d}.ndjson.gz`);
  const read = () =>
    gunzipSync(readFileSync(file))
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown> & { unmapped: { warden: { seq: number } } });
  let lines = read();
  assert.equal(lines.length, 1500);
  const { unmapped, ...ocsf } = lines[0]!;
  assert.deepEqual(unmapped.warden, { device: device.id, seq: 1, hash: own.hash });
  const { unmapped: _ownUnmapped, ...ownOcsf } = own.ocsf as Record<string, unknown>;
  assert.deepEqual(ocsf, ownOcsf);

  device.append(200);
  assert.equal((await client.batch(device.rows(1500))).status, 200);
  assert.deepEqual(await runner.round(), { sent: 200, rejected: 0, error: null });
  lines = read();
  assert.equal(lines.length, 1700);
  assert.deepEqual(
    lines.map((l) => l.unmapped.warden.seq),
    Array.from({ length: 1700 }, (_, i) => i + 1),
  );
  assert.equal((await exportStatuses(hub.service.store))[0]!.lag, 0);

  await assert.rejects(addExportTarget(hub.service.store, 'files', 'relative/dir', 'x', 0), /absolute path/);
});
