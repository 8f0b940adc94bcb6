import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import type { Loose } from '../../test/support/audit/samples.ts';
import { iso, requestEvent, sampleEvents, T0, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { canonicalJson } from './canonical.ts';
import { GENESIS_HASH } from './chain.ts';
import { AuditStore } from './store.ts';

function withStore(fn: (store: AuditStore) => void) {
  const { dir, dispose } = makeTempDir();
  const store = AuditStore.open(path.join(dir, 'audit.db'), { device: TEST_DEVICE, durability: 'normal' });
  store.appendBatch(sampleEvents());
  try {
    fn(store);
  } finally {
    store.close();
    dispose();
  }
}

function collect(store: AuditStore, format: 'ocsf' | 'ocsf-ndjson' | 'jsonl', since?: number): string {
  let out = '';
  store.export({ format, since, write: (chunk) => (out += chunk) });
  return out;
}

test('ocsf export is a JSON array of the OCSF objects in seq order', () => {
  withStore((store) => {
    const events = JSON.parse(collect(store, 'ocsf')) as Array<Record<string, Loose>>;
    assert.equal(events.length, 12);
    assert.deepEqual(
      events.map((e) => e.metadata.uid),
      events.map((_, i) => String(i + 1)),
    );
    assert.equal(events[2]?.class_uid, 4002);
    assert.deepEqual(JSON.parse(collect(store, 'ocsf', T0 + 1e9)), []);
  });
});

test('ocsf-ndjson has one OCSF object per line; --since filters by event time', () => {
  withStore((store) => {
    const lines = collect(store, 'ocsf-ndjson', Date.parse(iso(6)))
      .trim()
      .split('\n');
    assert.equal(lines.length, 6);
    assert.ok(lines.every((l) => (JSON.parse(l) as { time: number }).time >= Date.parse(iso(6))));
  });
});

test('jsonl lines are canonical records an outside tool can re-verify', () => {
  withStore((store) => {
    store.append(requestEvent(1, { path: '/quote"and\\slash/é' }));
    const lines = collect(store, 'jsonl').trim().split('\n');
    assert.equal(lines.length, 13);
    let prev = GENESIS_HASH;
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      assert.equal(canonicalJson(record), line, 'each line is canonical JSON');
      // Schema 2 lines: the hashed record is the line without "hash" and the derived "ocsf".
      const { hash, ocsf, ...compact } = record;
      const rest = 'event' in record ? compact : { ...compact, ocsf };
      assert.ok('event' in rest && 'ctx' in rest && 'logged' in rest, 'records are written in schema 2');
      assert.equal(rest.prev_hash, prev);
      assert.equal(
        createHash('sha256')
          .update(String(rest.prev_hash) + canonicalJson(rest))
          .digest('hex'),
        hash,
      );
      prev = hash as string;
    }
  });
});

test('the OCSF object in every export equals the one the store returns for that record', () => {
  withStore((store) => {
    const array = JSON.parse(collect(store, 'ocsf')) as Array<Record<string, Loose>>;
    const ndjson = collect(store, 'ocsf-ndjson').trim().split('\n');
    const jsonl = collect(store, 'jsonl').trim().split('\n');
    array.forEach((ocsf, i) => {
      const record = store.get(i + 1);
      assert.deepEqual(ocsf, record?.ocsf);
      assert.equal(ndjson[i], canonicalJson(record?.ocsf));
      assert.deepEqual((JSON.parse(jsonl[i] as string) as Loose).ocsf, record?.ocsf);
    });
  });
});
