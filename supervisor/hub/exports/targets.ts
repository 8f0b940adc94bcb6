// Export destinations as configured by `warden hub export add|ls|rm`, and the sink each
// kind is sent through: OTLP/HTTP logs, Splunk HEC (with indexer acknowledgement) and OCSF
// NDJSON files.

import path from 'node:path';
import { WardenError } from '../../api/errors.ts';
import { logsUrl, OtlpSink } from '../../audit/otlp/otlp-sink.ts';
import { assertOwnerOnly } from '../../secrets/private-file.ts';
import type { ExportTargetRow, HubStore, NewExportTarget } from '../store.ts';
import { FilesSink } from './files-sink.ts';
import type { HecMeta } from './hec-encode.ts';
import { HecSink, hecTarget } from './hec-sink.ts';
import { ExportRunner, exportLag } from './runner.ts';

export const EXPORT_KINDS = ['otlp', 'hec', 'files'] as const;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export async function addExportTarget(
  store: HubStore,
  kind: string,
  target: string,
  name: string | undefined,
  now: number,
  hec: HecOptions = {},
): Promise<ExportTargetRow> {
  if (kind === 'files') return addFilesTarget(store, target, name, now);
  if (kind === 'hec') return addHecTarget(store, target, name, now, hec);
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

export interface HecOptions extends HecMeta {
  tokenFile?: string;
}

const META = /^[A-Za-z0-9_:.-]{1,80}$/;

async function addHecTarget(
  store: HubStore,
  url: string,
  name: string | undefined,
  now: number,
  o: HecOptions,
): Promise<ExportTargetRow> {
  if (!o.tokenFile || !path.isAbsolute(o.tokenFile))
    throw new WardenError(
      'BadRequest',
      'an HEC destination needs --token-file with an absolute path',
      'Put the HEC token in a file only you can read (chmod 600) and name it; never on the command line.',
    );
  try {
    await assertOwnerOnly(o.tokenFile, 'the HEC token file');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new WardenError(
      'BadRequest',
      missing ? `the HEC token file ${o.tokenFile} does not exist` : (error as Error).message,
      missing ? 'Create it with the token on one line.' : `chmod 600 ${o.tokenFile}`,
    );
  }
  for (const [flag, v] of [
    ['--index', o.index],
    ['--source-type', o.sourcetype],
  ] as const)
    if (v !== undefined && !META.test(v))
      throw new WardenError(
        'BadRequest',
        `invalid ${flag} ${JSON.stringify(v.slice(0, 80))}`,
        'Use A-Z a-z 0-9 _ : . -',
      );
  let stored: string;
  try {
    stored = hecTarget(url, o);
  } catch {
    throw new WardenError(
      'BadRequest',
      `the HEC endpoint must be an http(s) URL without credentials, not ${JSON.stringify(url.replace(/\/\/[^/@]*@/, '//').slice(0, 80))}`,
      'e.g. https://splunk.example:8088 (/services/collector/event is added).',
    );
  }
  const chosen =
    name ?? `hec-${new URL(stored).host.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`.slice(0, 63);
  return insert(store, {
    name: chosen,
    kind: 'hec',
    target: stored,
    tokenFile: path.resolve(o.tokenFile),
    created: now,
  });
}

async function insert(store: HubStore, row: NewExportTarget): Promise<ExportTargetRow> {
  if (!NAME.test(row.name))
    throw new WardenError(
      'BadRequest',
      `invalid export name ${JSON.stringify(row.name)}`,
      'Use a-z, 0-9 and -.',
    );
  if (!(await store.addExportTarget(row)))
    throw new WardenError(
      'BadRequest',
      `an export named ${row.name} exists`,
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

/** OTLP batches in flight at once: the receiver parses one while the next is on the wire. */
export const OTLP_IN_FLIGHT = 2;

export interface SinkTuning {
  retryForMs?: number;
  timeoutMs?: number;
  baseMs?: number;
  capMs?: number;
  batchSize?: number;
  /** OTLP: batches in flight at once (the cursor still moves in order). */
  inFlight?: number;
  ackTimeoutMs?: number;
  ackPollMs?: number;
}

export function runnerFor(
  store: HubStore,
  t: ExportTargetRow,
  version: string,
  tuning: SinkTuning = {},
): ExportRunner {
  if (t.kind === 'hec') {
    // HEC's default max_content_length is 1 MB on older Splunk: 250 OCSF events stay well under.
    const sink = new HecSink({ target: t.target, tokenFile: t.tokenFile ?? '', ...tuning });
    return new ExportRunner(store, t, sink, tuning.batchSize ?? 250);
  }
  if (t.kind === 'files') return new ExportRunner(store, t, new FilesSink(t.target), tuning.batchSize);
  const sink = new OtlpSink({ endpoint: t.target, scopeVersion: version, ...tuning });
  return new ExportRunner(store, t, sink, tuning.batchSize, tuning.inFlight ?? OTLP_IN_FLIGHT);
}
