// Export destinations as configured by `warden hub export add|ls|rm`, and the sink each
// kind is sent through. OTLP and OCSF files are built; HEC is refused by name.

import path from 'node:path';
import { WardenError } from '../../api/errors.ts';
import type { ExportTargetRow, HubStore } from '../store.ts';
import { FilesSink } from './files-sink.ts';
import { logsUrl, OtlpSink } from './otlp-sink.ts';
import { ExportRunner, exportLag } from './runner.ts';

export const EXPORT_KINDS = ['otlp', 'files'] as const;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export async function addExportTarget(
  store: HubStore,
  kind: string,
  target: string,
  name: string | undefined,
  now: number,
): Promise<ExportTargetRow> {
  if (kind === 'files') return addFilesTarget(store, target, name, now);
  if (kind !== 'otlp')
    throw new WardenError(
      'BadRequest',
      `export kind ${JSON.stringify(kind.slice(0, 20))} is not available`,
      `Use one of: ${EXPORT_KINDS.join(', ')}.`,
    );
  let url: string;
  try {
    url = logsUrl(target);
  } catch {
    throw new WardenError(
      'BadRequest',
      `the OTLP endpoint must be an http(s) URL, not ${JSON.stringify(target.slice(0, 80))}`,
      'e.g. http://127.0.0.1:4318 (the Collector’s OTLP/HTTP port; /v1/logs is added).',
    );
  }
  if (new URL(url).username || new URL(url).password)
    throw new WardenError(
      'BadRequest',
      'the endpoint URL must not carry credentials',
      'Remove user:password@.',
    );
  const chosen =
    name ?? `${kind}-${new URL(url).host.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`.slice(0, 63);
  if (!NAME.test(chosen))
    throw new WardenError(
      'BadRequest',
      `invalid export name ${JSON.stringify(chosen)}`,
      'Use a-z, 0-9 and -.',
    );
  const row = { name: chosen, kind: 'otlp' as const, target: url, tokenFile: null, created: now };
  if (!(await store.addExportTarget(row)))
    throw new WardenError(
      'BadRequest',
      `an export named ${chosen} exists`,
      'Pick another --name or rm it first.',
    );
  return { ...row, cursor: {}, exported: 0, lastError: null, lastAttempt: 0, lastSuccess: null };
}

async function addFilesTarget(
  store: HubStore,
  dir: string,
  name: string | undefined,
  now: number,
): Promise<ExportTargetRow> {
  if (!path.isAbsolute(dir))
    throw new WardenError(
      'BadRequest',
      `the export folder must be an absolute path, not ${JSON.stringify(dir.slice(0, 80))}`,
      'e.g. /var/lib/warden-hub/ocsf',
    );
  const chosen = name ?? 'files';
  if (!NAME.test(chosen))
    throw new WardenError(
      'BadRequest',
      `invalid export name ${JSON.stringify(chosen)}`,
      'Use a-z, 0-9 and -.',
    );
  const row = {
    name: chosen,
    kind: 'files' as const,
    target: path.resolve(dir),
    tokenFile: null,
    created: now,
  };
  if (!(await store.addExportTarget(row)))
    throw new WardenError(
      'BadRequest',
      `an export named ${chosen} exists`,
      'Pick another --name or rm it first.',
    );
  return { ...row, cursor: {}, exported: 0, lastError: null, lastAttempt: 0, lastSuccess: null };
}

export interface ExportStatus extends ExportTargetRow {
  lag: number;
}

export async function exportStatuses(store: HubStore): Promise<ExportStatus[]> {
  const devices = await store.devices();
  return (await store.exportTargets()).map((t) => ({ ...t, lag: exportLag(devices, t.cursor) }));
}

export interface SinkTuning {
  retryForMs?: number;
  timeoutMs?: number;
  baseMs?: number;
  capMs?: number;
  batchSize?: number;
}

export function runnerFor(
  store: HubStore,
  t: ExportTargetRow,
  version: string,
  tuning: SinkTuning = {},
): ExportRunner {
  const sink =
    t.kind === 'files'
      ? new FilesSink(t.target)
      : new OtlpSink({ endpoint: t.target, scopeVersion: version, ...tuning });
  return new ExportRunner(store, t, sink, tuning.batchSize);
}
