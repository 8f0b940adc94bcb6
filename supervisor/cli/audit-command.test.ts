import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { requestEvent, sampleEvents, T0, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { AuditStore } from '../audit/index.ts';
import { type AuditCommandDeps, auditCommand } from './audit-command.ts';

async function run(home: string, argv: string[], extra: Partial<AuditCommandDeps> = {}) {
  let out = '';
  process.exitCode = undefined;
  const cmd = auditCommand({
    env: { WARDEN_HOME: home },
    out: (t) => {
      out += t;
    },
    now: () => T0 + 3_600_000,
    ...extra,
  });
  cmd.exitOverride();
  await cmd.parseAsync(argv, { from: 'user' });
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  return { out, code };
}

function withHome(fn: (home: string, db: string) => Promise<void>) {
  return async () => {
    const { dir, dispose } = makeTempDir('warden-audit-cli-');
    const db = path.join(dir, 'audit.db');
    const store = AuditStore.open(db, { device: TEST_DEVICE });
    store.appendBatch(sampleEvents());
    store.appendBatch(Array.from({ length: 30 }, (_, i) => requestEvent(i + 100)));
    store.close();
    try {
      await fn(dir, db);
    } finally {
      dispose();
    }
  };
}

test(
  'warden audit lists the newest records oldest first, with filters and --json',
  withHome(async (home) => {
    const all = await run(home, ['--limit', '5']);
    assert.equal(all.out.trim().split('\n').length, 5);
    assert.match(all.out.split('\n')[0] ?? '', /#38 {2}request\.decided/);
    const json = await run(home, ['--kind', 'secret.exfiltration_blocked', '--json']);
    const records = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(records.length, 1);
    assert.equal(records[0].ocsf.class_uid, 2004);
    const denied = await run(home, [
      '--outcome',
      'denied',
      '--host',
      'h0.example.com',
      '--json',
      '--limit',
      '1000',
    ]);
    assert.ok(
      denied.out
        .trim()
        .split('\n')
        .every((l) => JSON.parse(l).outcome === 'denied'),
    );
    // requestEvent(i) is at T0 + i s: --since/--until select a window.
    const window = await run(home, [
      '--since',
      new Date(T0 + 110_000).toISOString(),
      '--until',
      new Date(T0 + 115_000).toISOString(),
      '--json',
    ]);
    assert.equal(window.out.trim().split('\n').length, 5);
  }),
);

test(
  'warden audit verify: exit 0 when intact, exit 1 naming the first bad record',
  withHome(async (home, db) => {
    const ok = await run(home, ['verify']);
    assert.equal(ok.code, 0);
    assert.match(ok.out, /audit chain OK: 42 records verified/);
    const raw = new Database(db);
    raw.prepare("UPDATE records SET host = 'elsewhere' WHERE seq = 17").run();
    raw.close();
    const bad = await run(home, ['verify']);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /BROKEN at record 17: its content does not match its hash/);
    const json = await run(home, ['verify', '--json']);
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.out).firstBad.seq, 17);
  }),
);

test(
  'warden audit export writes OCSF or jsonl, honours --since and --out',
  withHome(async (home) => {
    const ocsf = await run(home, ['export', '--format', 'ocsf']);
    assert.equal(JSON.parse(ocsf.out).length, 42);
    const since = await run(home, [
      'export',
      '--format',
      'jsonl',
      '--since',
      new Date(T0 + 120_000).toISOString(),
    ]);
    assert.equal(since.out.trim().split('\n').length, 10);
    const file = path.join(home, 'out.ndjson');
    await run(home, ['export', '--format', 'ocsf-ndjson', '--out', file]);
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 42);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  }),
);

test(
  'warden audit --follow prints records written after it started',
  withHome(async (home, db) => {
    const controller = new AbortController();
    let out = '';
    const following = run(home, ['--follow', '--limit', '1', '--kind', 'user.action'], {
      pollMs: 20,
      signal: controller.signal,
      out: (t) => {
        out += t;
      },
    });
    const writer = AuditStore.open(db, { device: TEST_DEVICE });
    await new Promise((r) => setTimeout(r, 100));
    writer.append({
      type: 'user.action',
      time: new Date().toISOString(),
      user: 'bob',
      action: 'listener.create',
      target: 'sb-9',
    });
    writer.append(requestEvent(1));
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    await following;
    writer.close();
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 2, out);
    assert.match(lines[1] ?? '', /user\.action .*listener\.create sb-9/);
  }),
);

test('a missing database and a bad time are clear errors', async () => {
  const { dir, dispose } = makeTempDir('warden-audit-cli-');
  try {
    await assert.rejects(run(dir, ['verify']), /no audit database at/);
    AuditStore.open(path.join(dir, 'audit.db')).close();
    await assert.rejects(run(dir, ['--since', 'last tuesday']), /--since: cannot read the time/);
  } finally {
    dispose();
  }
});

test(
  'a long verify or export runs in workers: progress on standard error, Ctrl-C stops it, no file left',
  withHome(async (home, db) => {
    // workersFrom 0: these 42 records take the path a trail of WORKERS_FROM or more takes.
    const said: string[] = [];
    const long = { workersFrom: 0, progressMs: { first: 0, every: 10 }, say: (l: string) => said.push(l) };
    const ok = await run(home, ['verify'], long);
    assert.equal(ok.code, 0);
    assert.match(ok.out, /audit chain OK: 42 records verified/);
    assert.match(said.join('\n'), /warden: {3}checking the chain \(\d+ s, \d+ of 42 records, \d+%\)/);

    const raw = new Database(db);
    raw.prepare("UPDATE records SET host = 'elsewhere' WHERE seq = 17").run();
    raw.close();
    const bad = await run(home, ['verify', '--json'], long);
    assert.equal(bad.code, 1);
    assert.equal(JSON.parse(bad.out).firstBad.seq, 17);
    assert.ok(said.includes('warden:   something is wrong: naming the first bad record'));

    // Ctrl-C (the signal here) as soon as it says how far it is: exit 130, nothing printed.
    const interrupt = (what: string[]) => {
      const stop = new AbortController();
      return {
        ...long,
        signal: stop.signal,
        say: (l: string) => {
          what.push(l);
          stop.abort();
        },
      };
    };
    const stoppedLines: string[] = [];
    const stopped = await run(home, ['verify'], interrupt(stoppedLines));
    assert.equal(stopped.code, 130);
    assert.equal(stopped.out, '');
    assert.match(stoppedLines.at(-1) ?? '', /^warden: checking the chain stopped after \d+ records$/);

    const file = path.join(home, 'out.jsonl');
    const partial = `${file}.partial`;
    const exportLines: string[] = [];
    const cut = await run(home, ['export', '--format', 'jsonl', '--out', file], interrupt(exportLines));
    assert.equal(cut.code, 130);
    assert.equal(existsSync(file) || existsSync(partial), false, 'no file, whole or partial');
    assert.equal(exportLines.at(-1), `warden: ${file} was not written`);

    said.length = 0;
    await run(home, ['export', '--format', 'jsonl', '--out', file], long);
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 42);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(existsSync(partial), false);
    assert.equal(said.at(-1), `wrote 42 records to ${file}`);
  }),
);
