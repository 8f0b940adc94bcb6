// Every kind of record the device writes and the hub exports, checked against the OCSF 1.9
// schema (the vendored source in test/fixtures/ocsf-1.9, resolved by test/support/ocsf/):
// required attributes, enums and their captions, profiles, no attribute outside `unmapped`
// that 1.9 does not define. Deliberately wrong records prove the check can fail.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AUDIT_KINDS, type AuditRecord } from '../../supervisor/api/audit-types.ts';
import { ocsfOf } from '../../supervisor/audit/otlp/ocsf-of.ts';
import { AuditStore } from '../../supervisor/audit/store.ts';
import { SyncLedger } from '../../supervisor/audit/sync-ledger.ts';
import { hecEventJson } from '../../supervisor/hub/exports/hec-encode.ts';
import { streamLine } from '../../supervisor/hub/exports/stream.ts';
import { OCSF_13_REQUEST_DECIDED } from '../support/audit/legacy-fixture.ts';
import { type Loose, requestEvent, TEST_DEVICE } from '../support/audit/samples.ts';
import { everyRecordKind } from '../support/ocsf/record-kinds.ts';
import { OcsfValidator, WARDEN_CLASSES } from '../support/ocsf/validate.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const validator = new OcsfValidator();
let dispose: () => void;
let file: string;
let records: AuditRecord[];

before(() => {
  const t = makeTempDir();
  dispose = t.dispose;
  file = path.join(t.dir, 'audit.db');
  const store = AuditStore.open(file, { device: TEST_DEVICE, version: '0.1.0', durability: 'normal' });
  try {
    const events = everyRecordKind();
    store.appendBatch([requestEvent(100), ...events]);
    // A real retention checkpoint: the first record goes, so the chain starts after genesis.
    store.prune({ maxRecords: events.length });
    records = store.query({}, { limit: 1000 }).records.sort((a, b) => a.seq - b.seq);
  } finally {
    store.close();
  }
});

after(() => dispose());

function assertValid(ocsf: unknown, label: string): void {
  assert.deepEqual(validator.problems(ocsf), [], `${label} is not valid OCSF 1.9`);
}

test('every record kind the device writes is valid OCSF 1.9, in every class Warden emits', () => {
  assert.deepEqual(new Set(records.map((r) => r.kind)), new Set(AUDIT_KINDS), 'every kind is covered');
  for (const r of records) assertValid(r.ocsf, `seq ${r.seq} (${r.kind})`);
  const classes = new Set(records.map((r) => r.ocsf.class_uid));
  assert.deepEqual([...classes].sort(), Object.keys(WARDEN_CLASSES).map(Number).sort());
});

test('the sandbox is the ai_agent acting for the human who launched it (the actor)', () => {
  for (const r of records) {
    const o = r.ocsf as Loose;
    const agent = o.category_uid === 2 ? o.evidences?.[0]?.ai_agent : o.ai_agent;
    if (r.sandboxId === null) assert.equal(agent, undefined, `seq ${r.seq}`);
    else assert.deepEqual(agent, { name: r.sandboxId, uid: r.sandboxId }, `seq ${r.seq} (${r.kind})`);
    const answered = r.kind === 'approval.answered' || r.kind === 'approval.revoked';
    // Whoever answered an approval acts in that record; the sandbox's human stays in unmapped.
    if (!answered) assert.equal(o.actor.user.name, r.user, `seq ${r.seq} (${r.kind})`);
    else assert.equal(o.unmapped.sandbox_user, r.user);
  }
});

test('record_integrity carries the chain: fingerprint = hash, prev_event = the previous seq and hash', () => {
  for (const r of records) {
    const o = r.ocsf as Loose;
    assert.equal(o.metadata.version, '1.9.0');
    assert.ok(o.metadata.profiles.includes('record_integrity'), `seq ${r.seq}`);
    const [a] = o.attestation_list;
    assert.equal(a.fingerprint.value, r.hash);
    assert.equal(a.fingerprint.algorithm_id, 3);
    assert.equal(a.chain_uid, 'warden-audit:devbox');
    if (r.seq === 1) assert.equal(a.prev_event, undefined, 'the genesis record has no previous event');
    else
      assert.deepEqual([a.prev_event.uid, a.prev_event.fingerprint.value], [String(r.seq - 1), r.prevHash]);
    assert.equal(a.signatures, undefined, 'not synced: no hub countersignature');
  }
});

test("the device's NDJSON export and the hub's exports (stream, files, HEC) emit the same valid objects", () => {
  const store = AuditStore.open(file, { readOnly: true });
  const lines: string[] = [];
  try {
    store.export({ format: 'ocsf-ndjson', write: (chunk) => lines.push(chunk) });
  } finally {
    store.close();
  }
  const exported = lines
    .join('')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(exported.length, records.length);
  exported.forEach((o, i) => {
    assertValid(o, `export line ${i + 1}`);
    assert.deepEqual(o, records[i]!.ocsf);
  });
  const ledger = SyncLedger.open(file, 2000, true);
  try {
    const wire = ledger.rowsAfter(0, 1000, 64 * 1024 * 1024);
    assert.equal(wire.length, records.length);
    for (const [i, r] of wire.entries()) {
      const hub = ocsfOf(r);
      assert.deepEqual(hub, records[i]!.ocsf, `seq ${r.seq}: the hub maps what the device maps`);
      // The stream's and the files' line: the object with Warden's dedupe key under unmapped.
      const line = JSON.parse(streamLine({ ...r, device: 'dev-1' }));
      assertValid(line, `stream line seq ${r.seq}`);
      assert.equal(line.unmapped.warden.hash, r.hash);
      const hec = JSON.parse(hecEventJson({ id: 'dev-1', machine: 'devbox', version: '0.1.0' }, r, {}));
      assertValid(hec.event, `HEC event seq ${r.seq}`);
    }
  } finally {
    ledger.close();
  }
});

test('the check fails on records that are not OCSF 1.9, naming the attribute', () => {
  const base = () => structuredClone(records.find((r) => r.kind === 'request.decided')!.ocsf) as Loose;
  const web = () => structuredClone(records.find((r) => r.kind === 'secret.injected')!.ocsf) as Loose;
  const cases: Array<[string, Loose, RegExp]> = [
    ['an unknown attribute', { ...base(), sandbox: 'sb-1' }, /^\/sandbox: not an attribute of http_activity/],
    [
      'an unknown nested attribute',
      (() => {
        const o = base();
        o.ai_agent.vm = 'x';
        return o;
      })(),
      /^\/ai_agent\/vm: not an attribute of ai_agent/,
    ],
    [
      'a profile attribute without its profile',
      (() => {
        const o = base();
        o.metadata.profiles = ['host', 'record_integrity', 'security_control'];
        return o;
      })(),
      /^\/ai_agent: .*profile ai_operation/,
    ],
    [
      "a caption that is not its id's",
      { ...base(), activity_name: 'Post' },
      /^\/activity_name: must be "Get"/,
    ],
    ['a wrong type_uid', { ...base(), type_uid: 400206 }, /^\/type_uid: must be 400203/],
    ['an id outside its enum', { ...base(), severity_id: 42 }, /^\/severity_id: 42 is not one of/],
    [
      'a missing required attribute',
      (() => {
        const o = web();
        delete o.http_request;
        return o;
      })(),
      /must have required property 'http_request'/,
    ],
    ['a wrong scalar type', { ...base(), time: '2026-11-03T10:00:00Z' }, /^\/time: must be integer/],
    [
      'an attestation with neither fingerprint nor signatures',
      (() => {
        const o = base();
        delete o.attestation_list[0].fingerprint;
        return o;
      })(),
      /attestation_list\/0: needs at least one of fingerprint, signatures/,
    ],
    [
      'an OCSF 1.3 record as schema 1 stored it',
      JSON.parse(OCSF_13_REQUEST_DECIDED),
      /^\/actor: actor belongs to profile host/,
    ],
    ['a class Warden does not emit', { ...base(), class_uid: 1001 }, /class_uid 1001 is not a class/],
  ];
  for (const [label, record, expected] of cases) {
    const problems = validator.problems(record);
    assert.ok(
      problems.some((p) => expected.test(p)),
      `${label}: ${JSON.stringify(problems)}`,
    );
  }
  const free = base();
  free.unmapped.anything = { nested: [1, 'two'] };
  assert.deepEqual(validator.problems(free), [], 'unmapped takes anything');
});
