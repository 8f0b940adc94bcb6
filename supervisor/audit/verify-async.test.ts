import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { requestEvent, T0, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { exportAsync } from './export-async.ts';
import { AuditStore } from './store.ts';
import { verifyChainAsync } from './verify-async.ts';
import { ProgressSlot, progressCounter, readDone } from './verify-progress.ts';

const RECORDS = 60_000;
const temp = makeTempDir();
const file = path.join(temp.dir, 'audit.db');
const anchorFile = `${file}.anchor`;

/** Threads of this process (the main one, libuv's, V8's and one per live worker). */
const threads = () => readdirSync('/proc/self/task').length;

/**
 * The thread count once it has held still for 100 ms (at most 2 s): a verify's workers that
 * have reported end by themselves after it resolves, and are not waited for.
 */
async function settledThreads(): Promise<number> {
  let n = threads();
  for (let still = 0, i = 0; still < 5 && i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const m = threads();
    still = m === n ? still + 1 : 0;
    n = m;
  }
  return n;
}

before(() => {
  const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
  for (let i = 0; i < RECORDS; i += 5000)
    store.appendBatch(Array.from({ length: 5000 }, (_, k) => requestEvent(i + k)));
  store.close();
});
after(() => temp.dispose());

/** Polls the counter on every turn of the event loop while `work` runs. */
async function watched<T>(counter: Int32Array, work: Promise<T>): Promise<{ out: T; seen: number[] }> {
  const seen: number[] = [];
  let running = true;
  const poll = () => {
    seen.push(readDone(counter));
    if (running) setImmediate(poll);
  };
  setImmediate(poll);
  try {
    return { out: await work, seen };
  } finally {
    running = false;
  }
}

test('the async verify reports rows checked as it goes, on a turning event loop, and ends ok', async () => {
  const threadsBefore = await settledThreads();
  const counter = progressCounter();
  let total = -1;
  const { out, seen } = await watched(
    counter,
    verifyChainAsync(file, anchorFile, { threads: 2, progress: counter, onTotal: (n) => (total = n) }),
  );
  assert.equal(out.ok, true, JSON.stringify(out.firstBad));
  assert.equal(out.records, RECORDS);
  assert.equal(total, RECORDS);
  assert.equal(readDone(counter), RECORDS);
  // The loop turned while the workers ran and saw the count between nothing and all.
  assert.ok(
    seen.some((n) => n > 0 && n < RECORDS),
    `intermediate counts seen: ${seen.length} polls`,
  );
  assert.deepEqual(
    seen,
    [...seen].sort((a, b) => a - b),
  );
  // The workers reported and end by themselves (their exit is not awaited): none is left.
  for (let i = 0; i < 100 && threads() > threadsBefore; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(threads() <= threadsBefore, `${threads()} threads, ${threadsBefore} before`);
});

test('cancel ends the async verify with Cancelled and leaves no worker thread running', async () => {
  const before = await settledThreads();
  const counter = progressCounter();
  const abort = new AbortController();
  const work = verifyChainAsync(file, anchorFile, { threads: 1, progress: counter, signal: abort.signal });
  const poll = setInterval(() => {
    if (readDone(counter) > 0) abort.abort();
  }, 1);
  try {
    await assert.rejects(work, (error: Error) => error.name === 'Cancelled');
  } finally {
    clearInterval(poll);
  }
  assert.ok(readDone(counter) < RECORDS, 'stopped before the end');
  // terminate() has resolved for every worker: their threads are gone.
  for (let i = 0; i < 50 && threads() > before; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(threads() <= before, `${threads()} threads, ${before} before`);
});

test('the async export writes every record since a time with progress; a cancel leaves no file', async () => {
  // The newest 20,000 (each record is a second after the one before).
  const since = T0 + (RECORDS - 20_000) * 1000;
  const out = path.join(temp.dir, 'export.ndjson');
  const counter = progressCounter();
  const written = await exportAsync({ file, format: 'ocsf-ndjson', since, out, progress: counter });
  assert.equal(written, 20_000);
  assert.equal(Atomics.load(counter, ProgressSlot.TOTAL), 20_000);
  assert.equal(readDone(counter), 20_000);
  const lines = readFileSync(out, 'utf8').split('\n');
  assert.equal(lines.length - 1, 20_000);
  assert.equal(String(JSON.parse(lines[0] ?? '{}').metadata?.uid), String(RECORDS - 20_000 + 1));
  assert.equal(existsSync(`${out}.partial`), false);

  const cut = path.join(temp.dir, 'cut.jsonl');
  const abort = new AbortController();
  const partial = progressCounter();
  const work = exportAsync({
    file,
    format: 'jsonl',
    out: cut,
    progress: partial,
    signal: abort.signal,
  });
  const poll = setInterval(() => {
    if (readDone(partial) > 0) abort.abort();
  }, 1);
  try {
    await assert.rejects(work, (error: Error) => error.name === 'Cancelled');
  } finally {
    clearInterval(poll);
  }
  assert.equal(existsSync(cut), false);
  assert.equal(existsSync(`${cut}.partial`), false);
});

// Last: it edits the shared database.
test('a record edited in the middle is named through the async path (the walk runs in a worker)', async () => {
  const db = new Database(file);
  db.prepare("UPDATE records SET host = 'evil.example' WHERE seq = ?").run(43_457);
  db.close();
  let diagnosed = false;
  const status = await verifyChainAsync(file, anchorFile, {
    threads: 2,
    onDiagnose: () => (diagnosed = true),
  });
  assert.equal(diagnosed, true);
  assert.equal(status.ok, false);
  assert.equal(status.firstBad?.seq, 43_457);
  assert.match(status.firstBad?.problem ?? '', /edited/);
});
