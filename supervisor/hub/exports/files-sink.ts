// OCSF NDJSON files: one folder per OCSF class, one gzip file per event day, the layout of
// Amazon Security Lake's custom sources (`<class>/eventDay=YYYYMMDD/…`). Each batch is
// appended as a gzip member (a multi-member gzip file reads as one stream with gunzip, zcat
// and Node's zlib) and fsynced before the runner moves the cursor: at least once, so a crash
// may repeat a batch; a reader dedupes on metadata.uid (the seq) + device.

import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { HubRecord } from '../../api/hub.ts';
import { canonicalJson } from '../../audit/canonical.ts';
import { ocsfOf } from '../../audit/otlp/ocsf-of.ts';
import type { OtlpDevice } from '../../audit/otlp/otlp-encode.ts';
import type { SinkResult } from '../../audit/otlp/otlp-sink.ts';

type Prepared = Map<string, string[]>;

/** YYYYMMDD (UTC) of an event time; a time outside what a date can hold files under 00000000. */
export function eventDay(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) || d.getUTCFullYear() > 9999 || d.getUTCFullYear() < 0
    ? '00000000'
    : d.toISOString().slice(0, 10).replace(/-/g, '');
}

export class FilesSink {
  constructor(readonly dir: string) {}

  async prepare(batch: { device: OtlpDevice; records: readonly HubRecord[] }): Promise<Prepared> {
    const files: Prepared = new Map();
    for (const r of batch.records) {
      const ocsf = ocsfOf(r);
      const d = eventDay(r.time);
      const file = path.join(`class_uid=${ocsf.class_uid}`, `eventDay=${d}`, `warden-${d}.ndjson.gz`);
      const unmapped = {
        ...(ocsf.unmapped as object | undefined),
        warden: { device: batch.device.id, seq: r.seq, hash: r.hash },
      };
      const line = canonicalJson({ ...ocsf, unmapped });
      const lines = files.get(file);
      if (lines) lines.push(line);
      else files.set(file, [line]);
    }
    return files;
  }

  async deliver(files: Prepared): Promise<SinkResult> {
    for (const [rel, lines] of files) {
      const full = path.join(this.dir, rel);
      mkdirSync(path.dirname(full), { recursive: true, mode: 0o750 });
      const fd = openSync(full, 'a', 0o640);
      try {
        writeSync(fd, gzipSync(`${lines.join('\n')}\n`));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    return { rejected: 0, note: null };
  }
}
