// The OCSF object of a record the hub holds, built the way the device builds it on read
// (audit/records.ts): a compact record (with its context text) goes through the same mapper;
// a schema 1 record already holds its OCSF object as the body.

import type { OcsfEvent } from '../../api/audit-types.ts';
import type { HubRecord } from '../../api/hub.ts';
import type { OcsfContext } from '../../audit/ocsf.ts';
import { mapCompactObject } from '../../audit/records.ts';

export function ocsfOf(r: HubRecord): OcsfEvent {
  if (r.ctx === null) return JSON.parse(r.body) as OcsfEvent;
  return mapCompactObject(r.body, JSON.parse(r.ctx) as OcsfContext, r.seq, r.logged ?? 0);
}
