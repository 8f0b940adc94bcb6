// `warden run --preset NAME --policy FILE`: the preset is a layer under the project file,
// and `warden policy show --sandbox ID` shows both with their sources. The bundled CLI in
// its own process, a real daemon on the fake VM driver.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { FakeVmDriver, fakeImage } from '../support/fake-vm-driver.ts';
import { tempDir } from '../support/temp-dir.ts';

const BIN = fileURLToPath(new URL('../../bin/warden.mjs', import.meta.url));
const driver = new FakeVmDriver();
let d: TestDaemon;

before(async () => {
  d = await startTestDaemon({ daemon: { vmDriver: driver, poolSize: 0 } });
  fakeImage(d.daemon.images.dir);
});
after(() => d.stop());

function warden(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, WARDEN_HOME: d.home }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('--preset and --policy combine: the project file over the preset, each shown with its source', async (t) => {
  const project = path.join(tempDir(t), 'warden.yaml');
  writeFileSync(
    project,
    [
      'apiVersion: warden.dev/v1',
      'kind: Policy',
      'metadata:',
      '  name: my-project',
      'spec:',
      '  network:',
      '    default: deny',
      '    rules:',
      '      - match: https://registry.npmjs.org',
      '        action: deny',
      '      - match: https://api.example.test',
      '        action: allow',
      '',
    ].join('\n'),
  );
  const run = await warden([
    'run',
    '--image',
    'minimal',
    '--keep',
    '--preset',
    'node',
    '--policy',
    project,
    '--',
    'true',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const id = /sandbox (\S+) kept/.exec(run.stderr)?.[1];
  assert.ok(id, run.stderr);

  const show = await warden(['policy', 'show', '--sandbox', id]);
  assert.equal(show.code, 0, show.stderr);
  const presetFile = /layer preset +(\S+node\.yaml) \(4 rules\)/.exec(show.stdout)?.[1];
  assert.ok(presetFile, show.stdout);
  assert.match(show.stdout, new RegExp(`layer project +${project.replace(/[.]/g, '\\.')} \\(2 rules\\)`));
  const rules = show.stdout.split('\n').filter((l) => /^ +\d+\. /.test(l));
  // First match wins: the project's two rules, then the preset's four.
  assert.equal(rules.length, 6, show.stdout);
  assert.match(rules[0]!, /^ +1\. deny +https:\/\/registry\.npmjs\.org +\[project .*warden\.yaml:9\]/);
  assert.match(rules[1]!, /allow +https:\/\/api\.example\.test +\[project /);
  assert.match(rules[2]!, /allow +https:\/\/registry\.npmjs\.org +GET,HEAD +\[preset .*node\.yaml:\d+\]/);
  assert.ok(rules.slice(2).every((l) => l.includes('[preset ')));
  assert.match(show.stdout, /default: deny \(from project\)/);

  // The project's deny decides the registry, not the preset's allow.
  const decision = d.daemon.sandboxes.get(id).policy().decideRequest({
    scheme: 'https',
    host: 'registry.npmjs.org',
    port: 443,
    method: 'GET',
    path: '/left-pad',
  });
  assert.equal(decision.action, 'deny');
  assert.equal(decision.rule?.layer, 'project');
  await d.client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: id } });
});

test('the preset alone still works, and an unknown preset names the ones there are', async () => {
  // The node preset names no agent (claude-code and codex would install theirs first: the
  // real-agent tests cover that with QEMU).
  const run = await warden(['run', '--image', 'minimal', '--preset', 'node', '--', 'true']);
  assert.equal(run.code, 0, run.stderr);
  const bad = await warden(['run', '--image', 'minimal', '--preset', 'nope', '--', 'true']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /no preset "nope"[\s\S]*claude-code, codex, node/);
});
