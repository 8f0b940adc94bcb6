// The OCSF object of a record in wire form (as the hub holds it, or as the daemon reads its
// own rows), built the way the device builds it on read (audit/records.ts): a compact record
// (with its context text) goes through the same mapper; a schema 1 record holds its OCSF body.

import type { OcsfEvent } from '../../api/audit-types.ts';
import type { HubRecord } from '../../api/hub.ts';
import type { OcsfContext } from '../ocsf.ts';
import { mapCompactObject, mapCompactRaw } from '../records.ts';

// Parsed contexts by their text: a device has one context per Warden version and host, so
// the map stays tiny; bounded anyway.
const contexts = new Map<string, OcsfContext>();

function contextOf(text: string): OcsfContext {
  let ctx = contexts.get(text);
  if (!ctx) {
    if (contexts.size >= 256) contexts.clear();
    ctx = JSON.parse(text) as OcsfContext;
    contexts.set(text, ctx);
  }
  return ctx;
}

function linkOf(r: HubRecord) {
  return { seq: r.seq, prevHash: r.prev_hash, hash: r.hash };
}

export function ocsfOf(r: HubRecord): OcsfEvent {
  if (r.ctx === null) return JSON.parse(r.body) as OcsfEvent;
  return mapCompactObject(r.body, contextOf(r.ctx), linkOf(r), r.logged ?? 0);
}

/** ocsfOf without the canonical copy: the same members, keys in mapping order (OTLP sorts them). */
export function ocsfRawOf(r: HubRecord): OcsfEvent {
  if (r.ctx === null) return JSON.parse(r.body) as OcsfEvent;
  return mapCompactRaw(r.body, contextOf(r.ctx), linkOf(r), r.logged ?? 0);
}
