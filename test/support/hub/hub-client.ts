// A plain signed client of the hub, written from the contract alone (supervisor/api/hub.ts
// and hub-protocol): what the device's sync link will do, without its loop, so the hub's
// tests speak to a real server over HTTP. `raw` sends anything, for hostile tests.

import type { KeyObject } from 'node:crypto';
import type { HubEnrollRequest, HubHead, HubRecord } from '../../../supervisor/api/hub.ts';
import { HUB_PATHS, HUB_SIGNATURE } from '../../../supervisor/api/hub.ts';
import { encodeBatch } from '../../../supervisor/hub-protocol/batch.ts';
import { signRequest } from '../../../supervisor/hub-protocol/signature.ts';

export interface HubReply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RawRequest {
  method: string;
  path: string;
  body?: Uint8Array;
  headers?: Record<string, string>;
  /** Sign with this key and id (default: the client's); false: unsigned. */
  sign?: false | { keyid: string; privateKey: KeyObject; created?: number; nonce?: string };
}

export class HubClient {
  readonly url: string;
  readonly keyid: string;
  readonly privateKey: KeyObject;
  /** The tree size of the last checkpoint this client saw (sent as warden-tree-size). */
  treeSize = 0;

  constructor(url: string, keyid: string, privateKey: KeyObject) {
    this.url = url;
    this.keyid = keyid;
    this.privateKey = privateKey;
  }

  async raw<T = unknown>(r: RawRequest): Promise<HubReply<T>> {
    const body = r.body ?? new Uint8Array();
    const sign = r.sign === undefined ? { keyid: this.keyid, privateKey: this.privateKey } : r.sign;
    const headers: Record<string, string> = {
      [HUB_SIGNATURE.headers.treeSize]: String(this.treeSize),
      ...(sign ? signRequest({ method: r.method, path: r.path.split('?')[0]!, body, ...sign }) : {}),
      ...r.headers,
    };
    const res = await fetch(this.url + r.path, {
      method: r.method,
      headers,
      body: r.method === 'GET' ? undefined : (body as unknown as BodyInit),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // text/plain (the checkpoint)
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  json<T = unknown>(path: string, value: unknown): Promise<HubReply<T>> {
    return this.raw<T>({
      method: 'POST',
      path,
      body: Buffer.from(JSON.stringify(value)),
      headers: { 'content-type': 'application/json' },
    });
  }

  enroll(req: HubEnrollRequest) {
    return this.json(HUB_PATHS.enroll, req);
  }

  batch(records: readonly HubRecord[]) {
    return this.raw({
      method: 'POST',
      path: HUB_PATHS.batches,
      body: encodeBatch(records),
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
    });
  }

  heartbeat(head: HubHead | null, backlog = 0, time = Date.now()) {
    return this.json(HUB_PATHS.heartbeat, { head, backlog, time });
  }
}
