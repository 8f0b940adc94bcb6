// Export: OCSF objects (a JSON array, or one per line) or Warden's own records with their
// hash fields (JSON lines, each line canonical JSON, so anyone can re-verify the chain).
// A schema 2 line is the hashed record (`ctx`, `event`, `logged`, the columns, `prev_hash`)
// plus `hash` and the `ocsf` object built from it: sha256(prev_hash + canonical JSON of the
// line without "hash" and "ocsf"). A legacy (schema 1) line holds its stored `ocsf`, which is
// hashed: sha256(prev_hash + line without "hash"). Rows are streamed, never all held in memory.

import type Database from 'better-sqlite3';
import { jsonString as q } from './chain.ts';
import type { ContextTable } from './contexts.ts';
import { mapCompact, type RawRow } from './records.ts';
import type { Layout } from './schema.ts';
import { addDone } from './verify-progress.ts';
import { Witnesses } from './witnesses.ts';

export type ExportFormat = 'ocsf' | 'ocsf-ndjson' | 'jsonl';

export interface ExportOptions {
  format: ExportFormat;
  /** Only records whose event time is at or after this (epoch ms). */
  since?: number;
  /** Receives the output in order. */
  write: (chunk: string) => void;
  /** A verify-progress.ts counter: records written are added at every flush (the async export). */
  progress?: Int32Array;
}

/** Returns the number of records written. */
export function exportRecords(
  db: Database.Database,
  layout: Layout,
  contexts: ContextTable,
  options: ExportOptions,
): number {
  const rows = db
    .prepare(`SELECT ${layout.columns} FROM records WHERE time >= ? ORDER BY seq`)
    .raw(true)
    .iterate(options.since ?? Number.MIN_SAFE_INTEGER) as IterableIterator<RawRow>;
  const witnesses = new Witnesses(db);
  let count = 0;
  let told = 0;
  let buffer = options.format === 'ocsf' ? '[' : '';
  const flush = (force: boolean) => {
    if (buffer.length > 65536 || (force && buffer.length > 0)) {
      options.write(buffer);
      buffer = '';
      addDone(options.progress, count - told);
      told = count;
    }
  };
  for (const [seq, time, kind, sandboxId, user, host, outcome, body, prevHash, hash, ctxId, logged] of rows) {
    const ctx = ctxId === null ? null : (contexts.text(ctxId) ?? 'null');
    const ocsf =
      ctxId === null
        ? body
        : mapCompact(body, contexts.context(ctxId), { seq, prevHash, hash }, logged ?? 0, witnesses.of(seq));
    if (options.format === 'jsonl') {
      buffer +=
        ctx === null
          ? `{"hash":${q(hash)},"host":${q(host)},"kind":${q(kind)},"ocsf":${ocsf},"outcome":${q(outcome)}` +
            `,"prev_hash":${q(prevHash)},"sandbox_id":${q(sandboxId)},"seq":${seq},"time":${time},"user":${q(user)}}\n`
          : `{"ctx":${ctx},"event":${body},"hash":${q(hash)},"host":${q(host)},"kind":${q(kind)},"logged":${logged}` +
            `,"ocsf":${ocsf},"outcome":${q(outcome)},"prev_hash":${q(prevHash)},"sandbox_id":${q(sandboxId)}` +
            `,"seq":${seq},"time":${time},"user":${q(user)}}\n`;
    } else if (options.format === 'ocsf-ndjson') {
      buffer += `${ocsf}\n`;
    } else {
      buffer += `${count === 0 ? '\n' : ',\n'}${ocsf}`;
    }
    count++;
    flush(false);
  }
  if (options.format === 'ocsf') buffer += count === 0 ? ']\n' : '\n]\n';
  flush(true);
  return count;
}
