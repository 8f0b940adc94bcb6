// `warden audit export --out` on the worker path from a hostile filesystem's side: a link
// planted at `<out>.partial` is refused by name and neither followed nor removed; a link at
// `<out>` itself is replaced by the complete file, its target untouched (the rename swaps the
// name, it never writes through the link).

import assert from 'node:assert/strict';
import { lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AuditStore } from '../../supervisor/audit/index.ts';
import { auditCommand } from '../../supervisor/cli/audit-command.ts';
import { requestEvent, TEST_DEVICE } from '../support/audit/samples.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const home = makeTempDir('warden-audit-cli-hostile-');
let victim: string;

before(() => {
  const store = AuditStore.open(path.join(home.dir, 'audit.db'), { device: TEST_DEVICE });
  store.appendBatch(Array.from({ length: 20 }, (_, i) => requestEvent(i)));
  store.close();
  victim = path.join(home.dir, 'victim.txt');
  writeFileSync(victim, 'precious\n');
});
after(() => home.dispose());

async function exportTo(out: string): Promise<string[]> {
  const said: string[] = [];
  const cmd = auditCommand({
    env: { WARDEN_HOME: home.dir },
    out: () => {},
    say: (l) => said.push(l),
    workersFrom: 0,
  });
  cmd.exitOverride();
  await cmd.parseAsync(['export', '--format', 'jsonl', '--out', out], { from: 'user' });
  return said;
}

test('a link planted at <out>.partial is refused by name, not followed, not removed', async () => {
  const out = path.join(home.dir, 'a.jsonl');
  symlinkSync(victim, `${out}.partial`);
  await assert.rejects(exportTo(out), /a\.jsonl\.partial exists already: remove it/);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  assert.ok(lstatSync(`${out}.partial`).isSymbolicLink(), 'left as it was');
  assert.equal(lstatSync(out, { throwIfNoEntry: false }), undefined);
});

test('a link at <out> is replaced by the export; its target is untouched', async () => {
  const out = path.join(home.dir, 'b.jsonl');
  symlinkSync(victim, out);
  assert.equal((await exportTo(out)).at(-1), `wrote 20 records to ${out}`);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  assert.ok(lstatSync(out).isFile());
  assert.equal(lstatSync(out).mode & 0o777, 0o600);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 20);
});
