// OTLP straight from a device, without a hub: the daemon sends its own audit records to an
// OpenTelemetry Collector (`--otlp-export URL`), with the hub exporter's encoder and retry
// contract. Its cursor (the last seq the Collector confirmed, per endpoint) and last outcome
// live in the audit database (table `otlp_export`), so a restart resumes where it stopped;
// at least once, a receiver dedupes on warden.device.id + warden.seq. It reads on a
// connection of its own, never on the proxy's path; one request in flight, the next batch
// read and encoded meanwhile.

import type Database from 'better-sqlite3';
import type { DeviceExportStatus } from '../../api/export-types.ts';
import type { HubRecord } from '../../api/hub.ts';
import { openDatabase } from '../store-setup.ts';
import type { OtlpDevice } from './otlp-encode.ts';
import { logsUrl, OtlpSink, type OtlpSinkOptions } from './otlp-sink.ts';

export interface DeviceExporterOptions {
  /** The audit database. */
  file: string;
  endpoint: string;
  device: OtlpDevice;
  /** A round this often when idle (default 2 s); failed rounds back off up to 5 min. */
  intervalMs?: number;
  batchSize?: number;
  sink?: Omit<OtlpSinkOptions, 'endpoint' | 'scopeVersion'>;
  log?: (message: string) => void;
}

const RECORD = `r.seq, r.time, r.kind, r.sandbox_id, r.user, r.host, r.outcome, r.body,
  c.body AS ctx, r.logged, r.prev_hash, r.hash`;

interface Row {
  seq: number;
  exported: number;
  last_success: number | null;
  last_error: string | null;
}

const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);

export class DeviceOtlpExporter {
  readonly #db: Database.Database;
  readonly #url: string;
  readonly #sink: OtlpSink;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  #failures = 0;
  #nextAttempt: number | null = null;

  constructor(readonly o: DeviceExporterOptions & { version: string }) {
    this.#url = logsUrl(o.endpoint);
    this.#sink = new OtlpSink({ endpoint: this.#url, scopeVersion: o.version, ...o.sink });
    this.#db = openDatabase(o.file, { durability: 'normal', busyTimeoutMs: 2000 }).db;
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS otlp_export (endpoint TEXT PRIMARY KEY, seq INTEGER NOT NULL, ' +
        'exported INTEGER NOT NULL, last_success INTEGER, last_error TEXT)',
    );
    this.#db
      .prepare('INSERT OR IGNORE INTO otlp_export (endpoint, seq, exported) VALUES (?, 0, 0)')
      .run(this.#url);
  }

  get url(): string {
    return this.#url;
  }

  start(): void {
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#nextAttempt = Date.now() + ms;
    this.#timer = setTimeout(() => {
      this.#running = this.round()
        .then((error) => {
          this.#failures = error ? this.#failures + 1 : 0;
          if (error) this.o.log?.(`otlp export: ${error}`);
        })
        .finally(() => {
          const base = this.o.intervalMs ?? 2000;
          this.#schedule(this.#failures ? Math.min(300_000, base * 2 ** Math.min(this.#failures, 10)) : base);
        });
    }, ms);
    this.#timer.unref();
  }

  #row(): Row {
    return this.#db
      .prepare('SELECT seq, exported, last_success, last_error FROM otlp_export WHERE endpoint = ?')
      .get(this.#url) as Row;
  }

  #read(after: number): HubRecord[] {
    return this.#db
      .prepare(
        `SELECT ${RECORD} FROM records r LEFT JOIN contexts c ON c.id = r.ctx WHERE r.seq > ? ORDER BY r.seq LIMIT ?`,
      )
      .all(after, this.o.batchSize ?? 1000) as HubRecord[];
  }

  /** Send everything after the cursor; returns the error, or null. */
  async round(): Promise<string | null> {
    const device = this.o.device;
    let records = this.#read(this.#row().seq);
    let prepared = records.length ? await this.#sink.prepare({ device, records }) : null;
    try {
      for (let n = 0; prepared !== null && n < 1_000_000 && !this.#stopped; n++) {
        const sending = this.#sink.deliver(prepared);
        sending.catch(() => {}); // awaited below
        const last = records[records.length - 1]!.seq;
        let next: HubRecord[] = [];
        let nextPrepared: Buffer | null = null;
        try {
          next = this.#read(last);
          nextPrepared = next.length ? await this.#sink.prepare({ device, records: next }) : null;
        } finally {
          const result = await sending;
          const accepted = records.length - Math.min(result.rejected, records.length);
          this.#db
            .prepare(
              'UPDATE otlp_export SET seq = ?, exported = exported + ?, last_success = ?, last_error = ? WHERE endpoint = ?',
            )
            .run(last, accepted, Date.now(), result.note, this.#url);
        }
        records = next;
        prepared = nextPrepared;
      }
      return null;
    } catch (error) {
      const message = (error as Error).message;
      this.#db.prepare('UPDATE otlp_export SET last_error = ? WHERE endpoint = ?').run(message, this.#url);
      return message;
    }
  }

  status(): DeviceExportStatus {
    const row = this.#row();
    const head = this.#db.prepare('SELECT MAX(seq) AS seq FROM records').get() as { seq: number | null };
    const headSeq = head.seq ?? null;
    return {
      state: this.#failures ? 'backing-off' : 'ok',
      endpoint: this.#url,
      exportedSeq: row.seq,
      headSeq,
      backlog: Math.max(0, (headSeq ?? 0) - row.seq),
      exported: row.exported,
      lastSuccess: iso(row.last_success),
      lastError: row.last_error,
      nextAttempt: this.#failures ? iso(this.#nextAttempt) : null,
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    this.#db.close();
  }
}

export const DEVICE_EXPORT_OFF: DeviceExportStatus = {
  state: 'off',
  endpoint: null,
  exportedSeq: 0,
  headSeq: null,
  backlog: 0,
  exported: 0,
  lastSuccess: null,
  lastError: null,
  nextAttempt: null,
};
