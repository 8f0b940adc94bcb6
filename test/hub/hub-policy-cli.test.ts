// `warden hub policy set/ls` and `warden hub device group` as an operator runs them: a policy
// signed and stored with the next serial (for all, then for a group), an invalid or unreadable
// file refused with the reason, and a device put in a group then listed with its policy state.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { HUB_POLICY_NOTE_HEADER } from '../../supervisor/api/hub.ts';
import { openHub } from '../../supervisor/hub/open-hub.ts';
import { policyHash } from '../../supervisor/policy/index.ts';
import { openNote, parseVerifierKey } from '../../supervisor/tlog/note.ts';
import { TestDevice } from '../support/hub/device.ts';
import { startTestHub } from '../support/hub/hub.ts';
import { ORG } from '../support/organisation-policy.ts';
import { tempDir } from '../support/temp-dir.ts';
import { runWarden } from '../support/warden-cli.ts';

/** `warden ARGS…` with the hub's state folder in WARDEN_HUB_HOME. */
const warden = (home: string, ...args: string[]) =>
  runWarden(args, { ...process.env, WARDEN_HUB_HOME: home }, { timeoutMs: 60_000 });

test('warden hub policy set, ls, and device group', async (t) => {
  const hub = await startTestHub(t, 'sqlite');
  const device = new TestDevice(tempDir(t));
  await hub.enroll(device);
  const files = tempDir(t, 'whubpolicy-');
  const file = path.join(files, 'org.yaml');
  writeFileSync(file, ORG('evil.test'));

  const set = await warden(hub.home, 'hub', 'policy', 'set', file);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, `policy serial 1 for every device: ${policyHash(ORG('evil.test'))}\n`);
  const grouped = await warden(hub.home, 'hub', 'policy', 'set', file, '--group', 'eng');
  assert.match(grouped.stdout, /^policy serial 2 for group eng: sha256:/);

  const bad = path.join(files, 'bad.yaml');
  writeFileSync(bad, ORG('evil.test').replace('deny', 'block'));
  const invalid = await warden(hub.home, 'hub', 'policy', 'set', bad);
  assert.notEqual(invalid.code, 0);
  assert.match(invalid.stderr, /the policy is not valid: .*spec\.network\.rules\[0\]\.action/);
  const missing = await warden(hub.home, 'hub', 'policy', 'set', path.join(files, 'nope.yaml'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.yaml/);
  assert.match(
    (await warden(hub.home, 'hub', 'policy', 'set', file, '--group', 'a b')).stderr,
    /invalid group "a b"/,
  );

  const ls = await warden(hub.home, 'hub', 'policy', 'ls');
  assert.match(
    ls.stdout,
    /^serial 2 {2}group eng {2}sha256:[0-9a-f]{64} .*\nserial 1 {2}group \* {2}sha256:/,
  );

  assert.equal(
    (await warden(hub.home, 'hub', 'device', 'group', device.id, 'eng')).stdout,
    `${device.id} is in group eng\n`,
  );
  assert.equal((await warden(hub.home, 'hub', 'device', 'group', 'f'.repeat(32), 'eng')).code, 1);
  const devices = await warden(hub.home, 'hub', 'device', 'ls');
  assert.match(devices.stdout, /policy unknown \(group eng\)/);

  // The stored note is signed by the hub key devices enroll with, over the exact bytes.
  const service = await openHub({ home: hub.home, db: hub.db });
  t.after(() => service.close());
  const meant = await service.policies!.forDevice(device.id);
  assert.equal(meant?.serial, 2);
  const opened = openNote(meant!.note, [parseVerifierKey(hub.service.verifierKey)]);
  assert.equal(
    opened.text,
    `${HUB_POLICY_NOTE_HEADER}\nserial 2\ngroup eng\n${policyHash(ORG('evil.test'))}\n`,
  );
});
