// A batch of chain records on the wire: NDJSON of HubRecord lines, gzip-compressed. The
// device encodes; the hub decodes with a cap on the inflated size (a gzip bomb is a 413,
// not an out-of-memory) and checks every line against the schema and the seq order.

import { gunzipSync, gzipSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { WardenError } from '../api/errors.ts';
import { HUB_LIMITS, type HubRecord, HubRecordSchema } from '../api/hub.ts';
import { describeErrors } from '../server/route-match.ts';

const validate = new Ajv({ allErrors: true, strict: false }).compile(HubRecordSchema);

/** One record as its NDJSON line (fixed key order; `body` and `ctx` as JSON strings). */
export function recordLine(r: HubRecord): string {
  return JSON.stringify({
    seq: r.seq,
    time: r.time,
    kind: r.kind,
    sandbox_id: r.sandbox_id,
    user: r.user,
    host: r.host,
    outcome: r.outcome,
    body: r.body,
    ctx: r.ctx,
    logged: r.logged,
    prev_hash: r.prev_hash,
    hash: r.hash,
  });
}

export function encodeBatch(records: readonly HubRecord[], level = 6): Buffer {
  return gzipSync(records.map((r) => `${recordLine(r)}\n`).join(''), { level });
}

export interface BatchLimits {
  maxBatchBytes: number;
  maxBatchRecords: number;
}

/** The records of a gzip NDJSON batch; BadRequest or BodyTooLarge naming the problem. */
export function decodeBatch(gz: Uint8Array, limits: BatchLimits = HUB_LIMITS): HubRecord[] {
  let text: string;
  try {
    text = gunzipSync(gz, { maxOutputLength: limits.maxBatchBytes }).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new WardenError(
        'BodyTooLarge',
        `the batch inflates to more than ${limits.maxBatchBytes} bytes`,
        'Send smaller batches.',
      );
    }
    throw new WardenError(
      'BadRequest',
      'the batch is not valid gzip',
      'Send the NDJSON records gzip-compressed.',
    );
  }
  if (!text.endsWith('\n'))
    throw new WardenError('BadRequest', 'the batch does not end with a newline (cut short?)');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length > limits.maxBatchRecords) {
    throw new WardenError(
      'BodyTooLarge',
      `the batch holds ${lines.length} records; the hub takes at most ${limits.maxBatchRecords}`,
      'Send smaller batches.',
    );
  }
  // One JSON.parse of the whole batch (as an array) is much faster than one per line; only
  // when it fails are the lines parsed one by one, to name the bad one.
  let values: unknown[];
  try {
    values = JSON.parse(`[${lines.join(',')}]`) as unknown[];
    if (values.length !== lines.length) throw new Error('a line holds more than one value');
  } catch {
    values = lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new WardenError('BadRequest', `line ${i + 1} of the batch is not JSON`);
      }
    });
  }
  const records: HubRecord[] = [];
  for (const [i, value] of values.entries()) {
    if (!validate(value)) {
      throw new WardenError(
        'BadRequest',
        `line ${i + 1} of the batch is not a record: ${describeErrors(validate)}`,
      );
    }
    const record = value as HubRecord;
    const prev = records.at(-1);
    if (prev && record.seq !== prev.seq + 1) {
      throw new WardenError(
        'BadRequest',
        `line ${i + 1} of the batch has seq ${record.seq} after ${prev.seq}: records must be contiguous and ascending`,
      );
    }
    records.push(record);
  }
  if (records.length === 0 || (records.length === 1 && lines[0] === '')) {
    throw new WardenError('BadRequest', 'the batch holds no record');
  }
  return records;
}
