// `warden audit verify --against-hub`, `warden audit prove SEQ` and `warden audit
// check-proof FILE` on a real daemon's trail synced to the contract test hub.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { auditCommand } from '../../supervisor/cli/audit-command.ts';
import { CliError } from '../../supervisor/cli/exit-codes.ts';
import { append, hubAndDaemon, rewriteChain, synced } from '../support/sync.ts';

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function warden(home: string, argv: string[]): Promise<{ out: string; code: number; error?: string }> {
  let out = '';
  process.exitCode = undefined;
  const cmd = auditCommand({
    env: { WARDEN_HOME: home },
    out: (t) => {
      out += t;
    },
  });
  cmd.exitOverride();
  try {
    await cmd.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { out, code: error.exitCode, error: error.message };
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { out, code };
}

test('prove SEQ writes a proof anyone checks offline; an edited proof fails naming why', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  await append(d, 1500);
  await synced(d);
  const file = path.join(d.home, 'proof.json');
  const prove = await warden(d.home, ['prove', '700', '--out', file]);
  assert.equal(prove.code, 0, prove.error);
  const ok = await warden(d.home, ['check-proof', file, '--hub-key', hub.hubKey]);
  assert.equal(ok.code, 0, ok.error);
  assert.match(ok.out, /ok: seq 700 is in the chain the hub countersigned at seq \d+/);
  const proof = JSON.parse(readFileSync(file, 'utf8'));
  const edited = structuredClone(proof);
  edited.records[0].body = edited.records[0].body.replace('test.append', 'test.nothing');
  writeFileSync(file, JSON.stringify(edited));
  assert.match((await warden(d.home, ['check-proof', file])).error ?? '', /seq 700 does not hash/);
  const recomputed = structuredClone(proof);
  recomputed.receipt.leaf.received += 1;
  writeFileSync(file, JSON.stringify(recomputed));
  assert.match((await warden(d.home, ['check-proof', file])).error ?? '', /countersignature does not check/);
  writeFileSync(file, JSON.stringify(proof));
  assert.match(
    (await warden(d.home, ['check-proof', file, '--hub-key', 'other+00000000+AQ=='])).error ?? '',
    /another hub key/,
  );
  assert.match((await warden(d.home, ['prove', '999999'])).error ?? '', /no receipt covers seq 999999/);
});

test('verify --against-hub: clean, then names the first rewritten seq', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(
    () => hub.close(),
    () => rm(d.home, { recursive: true, force: true }),
  );
  await append(d, 2200);
  await synced(d);
  const clean = await warden(d.home, ['verify', '--against-hub']);
  assert.equal(clean.code, 0, clean.error);
  assert.match(clean.out, /^ok: the local chain matches the hub through seq \d+ \(\d+ countersigned heads/);
  await d.daemon.stop();
  rewriteChain(d.daemon.paths.auditDb, 1234);
  const bad = await warden(d.home, ['verify', '--against-hub', '--json']);
  assert.equal(bad.code, 1);
  const result = JSON.parse(bad.out);
  assert.equal(result.firstDivergent, 1234);
  assert.equal(result.ok, false);
});
