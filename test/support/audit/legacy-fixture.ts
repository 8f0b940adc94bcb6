// Test helper: writes a schema 1 audit database exactly as Warden wrote it before schema 2
// (commit 630c55a): the full OCSF object stored in an `ocsf` column, hashed as
// sha256(prev_hash ‖ canonical {host, kind, ocsf, outcome, prev_hash, sandbox_id, seq, time,
// user}), with the anchor beside it. Written out here by the old rules, independently of the
// store's current code paths, so the tests can check that such a database stays readable and
// verifiable and is migrated without losing or rewriting a record.

import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import type { WardenEvent } from '../../../supervisor/api/events.ts';
import { AnchorWriter } from '../../../supervisor/audit/anchor.ts';
import { canonicalJsonReference } from '../../../supervisor/audit/canonical.ts';
import { type CheckpointEvent, type OcsfContext, toOcsf } from '../../../supervisor/audit/ocsf.ts';

const V1_SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE records (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  sandbox_id TEXT,
  user TEXT NOT NULL,
  host TEXT,
  outcome TEXT,
  ocsf TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX records_sandbox ON records (sandbox_id, time);
CREATE INDEX records_kind ON records (kind, time);
CREATE INDEX records_host ON records (host, time);
CREATE INDEX records_outcome ON records (outcome, time);
CREATE INDEX records_time ON records (time);
INSERT INTO meta (key, value) VALUES ('schema_version', '1');
INSERT INTO meta (key, value) VALUES ('created', '2026-11-01T00:00:00.000Z');
`;

export interface LegacyRow {
  seq: number;
  /** The OCSF object as schema 1 stored it (canonical JSON text). */
  ocsf: string;
  hash: string;
}

/**
 * Create `file` (schema 1) holding `events`, appended at `now`; a checkpoint event in the list
 * removes the records it names first, as schema 1 retention did. Returns the rows written.
 */
export function writeLegacyDatabase(
  file: string,
  events: ReadonlyArray<WardenEvent | CheckpointEvent>,
  ctx: OcsfContext,
  now: number,
  /** The stored OCSF text of the record at each seq, when given (e.g. an OCSF 1.3 object Warden wrote). */
  storedText?: (seq: number) => string | undefined,
): LegacyRow[] {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(V1_SCHEMA);
  const insert = db.prepare('INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const rows: LegacyRow[] = [];
  let prev = '0'.repeat(64);
  let seq = 0;
  for (const event of events) {
    if (event.type === 'audit.checkpoint') {
      db.prepare('DELETE FROM records WHERE seq <= ?').run(event.pruned.throughSeq);
      event.pruned.lastHash = rows.find((r) => r.seq === event.pruned.throughSeq)?.hash ?? '';
    }
    seq++;
    const m = toOcsf(event, ctx, now);
    const metadata = m.ocsf.metadata as Record<string, unknown>;
    metadata.uid = String(seq);
    metadata.logged_time = now;
    const ocsf = storedText?.(seq) ?? canonicalJsonReference(m.ocsf);
    const record = {
      host: m.host,
      kind: m.kind,
      ocsf: JSON.parse(ocsf) as unknown,
      outcome: m.outcome,
      prev_hash: prev,
      sandbox_id: m.sandboxId,
      seq,
      time: m.time,
      user: m.user,
    };
    const hash = createHash('sha256')
      .update(prev + canonicalJsonReference(record))
      .digest('hex');
    insert.run(seq, m.time, m.kind, m.sandboxId, m.user, m.host, m.outcome, ocsf, prev, hash);
    rows.push({ seq, ocsf, hash });
    prev = hash;
  }
  const first = db.prepare('SELECT min(seq) FROM records').pluck().get() as number | null;
  db.close();
  const anchor = AnchorWriter.open(`${file}.anchor`, {
    headSeq: seq,
    headHash: prev,
    count: first === null ? 0 : seq - first + 1,
    written: now,
  });
  anchor.close();
  return rows;
}

/**
 * The OCSF 1.3 object Warden's mapper built for a denied POST (`request.decided`) before the
 * move to OCSF 1.9, as schema 1 stored and hashed it: old databases hold objects like this.
 */
export const OCSF_13_REQUEST_DECIDED =
  '{"action":"Denied","action_id":2,"activity_id":6,"activity_name":"Post","actor":{"user":{"name":"alice","type":"User","type_id":1}},"category_name":"Network Activity","category_uid":4,"class_name":"HTTP Activity","class_uid":4002,"device":{"hostname":"bench","os":{"name":"Linux","type":"Linux","type_id":100},"type":"Desktop","type_id":2},"disposition":"Blocked","disposition_id":2,"dst_endpoint":{"hostname":"api0.example.com","ip":"203.0.113.10","port":443},"duration":12,"http_request":{"http_method":"POST","uid":"rq-0","url":{"hostname":"api0.example.com","path":"/repos/acme/widgets/issues/0","port":443,"scheme":"https","url_string":"https://api0.example.com:443/repos/acme/widgets/issues/0"}},"message":"POST https://api0.example.com/repos/acme/widgets/issues/0 denied: no rule matches; default deny","metadata":{"log_name":"warden-audit","product":{"name":"Warden","vendor_name":"Warden","version":"0.1.0"},"version":"1.3.0"},"severity":"Low","severity_id":2,"src_endpoint":{"name":"sb-0","type":"Virtual","type_id":6,"uid":"sb-0"},"status":"Failure","status_detail":"no rule matches; default deny","status_id":2,"time":1793491200000,"traffic":{"bytes":4608,"bytes_in":4096,"bytes_out":512},"type_name":"HTTP Activity: Post","type_uid":400206,"unmapped":{"decided_by":"policy","intercepted":true,"outcome":"denied","reason":"no rule matches; default deny","request_id":"rq-0","rule":null,"sandbox_id":"sb-0","warden_kind":"request.decided"}}';
