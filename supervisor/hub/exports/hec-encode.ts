// Splunk HTTP Event Collector events (the JSON `/services/collector/event` takes): one
// event object per record, concatenated (HEC's batch form, not an array). The OCSF object
// is the event; the dedupe key and routing fields are indexed `fields` (flat, string values).

import type { HubRecord } from '../../api/hub.ts';
import { ocsfOf } from '../../audit/otlp/ocsf-of.ts';
import type { OtlpDevice } from '../../audit/otlp/otlp-encode.ts';

export interface HecMeta {
  /** Splunk index (absent: the token's default index). */
  index?: string;
  /** Default `warden:ocsf`. */
  sourcetype?: string;
}

export const HEC_SOURCE = 'warden';
export const HEC_SOURCETYPE = 'warden:ocsf';

/** Event time in epoch seconds with milliseconds, as HEC's `time` field takes it. */
export const hecTime = (ms: number): string => (Math.trunc(ms) / 1000).toFixed(3);

export function hecEventJson(device: OtlpDevice, r: HubRecord, meta: HecMeta): string {
  const ocsf = ocsfOf(r);
  const fields: Record<string, string> = {
    warden_device: device.id,
    warden_seq: String(r.seq),
    warden_hash: r.hash,
    warden_kind: r.kind,
    ocsf_class_uid: String(ocsf.class_uid),
  };
  if (r.outcome !== null) fields.warden_outcome = r.outcome;
  return (
    `{"time":${hecTime(r.time)},"host":${JSON.stringify(device.machine)},"source":"${HEC_SOURCE}",` +
    `"sourcetype":${JSON.stringify(meta.sourcetype ?? HEC_SOURCETYPE)},` +
    (meta.index ? `"index":${JSON.stringify(meta.index)},` : '') +
    `"event":${JSON.stringify(ocsf)},"fields":${JSON.stringify(fields)}}`
  );
}

/** A batch: the events one after another, newline-separated (HEC accepts any whitespace). */
export function hecBatch(device: OtlpDevice, records: readonly HubRecord[], meta: HecMeta): string {
  let out = '';
  for (const r of records) out += `${hecEventJson(device, r, meta)}\n`;
  return out;
}
