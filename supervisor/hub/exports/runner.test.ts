// The runner saves a destination's confirmed cursor at most every 500 ms during a round and
// always at its end: a saved cursor is never past what the sink confirmed, and the saved
// state after a round is the whole round's (real SQLite hub store, a sink that confirms late).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { TestDevice } from '../../../test/support/hub/device.ts';
import { GENESIS_HASH } from '../../audit/chain.ts';
import type { SinkResult } from '../../audit/otlp/otlp-sink.ts';
import { openHubStore } from '../open-hub.ts';
import type { ExportProgress } from '../store.ts';
import { ExportRunner, type ExportSink } from './runner.ts';
import { addExportTarget } from './targets.ts';

test('progress is saved throttled mid-round, never ahead of what was confirmed, and at the end', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'warden-runner-'));
  const device = new TestDevice(home);
  const store = await openHubStore('sqlite:hub.db', home);
  try {
    device.append(3000);
    await store.addToken('t', 0, Date.now() + 60_000);
    const enrolled = await store.enroll('t', 1, {
      id: device.id,
      publicKey: '',
      user: 'alice',
      machine: 'devbox',
      os: 'Linux',
      version: '0.1.0',
      enrolledAt: 0,
      startSeq: 1,
      startPrev: GENESIS_HASH,
      enrollHead: null,
    });
    assert.equal(enrolled, 'ok');
    for (let after = 0; after < 3000; after += 1000)
      await store.transaction(device.id, (tx) => tx.insertRecords(device.rows(after, 1000), Date.now()));
    const target = await addExportTarget(store, 'otlp', 'http://127.0.0.1:9', 'slow', Date.now());

    let confirmed = 0;
    const sink: ExportSink<number> = {
      prepare: async ({ records }) => records[records.length - 1]!.seq,
      deliver: async (last): Promise<SinkResult> => {
        await new Promise((r) => setTimeout(r, 80));
        confirmed = last;
        return { rejected: 0, note: null };
      },
    };
    const saves: number[] = [];
    const save = store.saveExportProgress.bind(store);
    store.saveExportProgress = async (name: string, p: ExportProgress) => {
      const at = p.cursor[device.id] ?? 0;
      assert.ok(at <= confirmed, `saved ${at} while ${confirmed} was confirmed`);
      saves.push(at);
      return save(name, p);
    };
    const report = await new ExportRunner(store, target, sink, 250, 2).round();
    assert.deepEqual(report, { sent: 3000, rejected: 0, error: null });
    // 12 batches over ~1 s: a save for the first, one or two on the way, and the last.
    assert.ok(saves.length >= 2 && saves.length < 12, `saves: ${saves.join(', ')}`);
    assert.equal(saves.at(-1), 3000);
    const [saved] = await store.exportTargets();
    assert.equal(saved!.cursor[device.id], 3000);
    assert.equal(saved!.exported, 3000);
  } finally {
    await store.close();
    device.close();
    rmSync(home, { recursive: true, force: true });
  }
});
