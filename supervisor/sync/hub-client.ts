// One signed request to the hub: the body (gzip NDJSON for a batch, JSON otherwise) signed
// with the device key (hub-protocol signRequest), over HTTP on loopback or HTTPS, where a
// TLS pin from the enrollment string replaces the CA check. Bounded: a deadline for the
// whole exchange and a cap on the reply's size. Network failures are HubUnreachable (the
// link backs off); every HTTP answer is returned with its status for the link to act on.

import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { HUB_SIGNATURE } from '../api/hub.ts';
import { tlsPinOf } from '../hub-protocol/enrollment.ts';
import { signRequest } from '../hub-protocol/signature.ts';
import type { DeviceKey } from './device-key.ts';

const MAX_REPLY_BYTES = 4 * 1024 * 1024;

export class HubUnreachable extends Error {
  override readonly name = 'HubUnreachable';
}

export interface HubTarget {
  url: string;
  tlsPin: string | null;
  key: DeviceKey;
  /** The whole exchange's deadline (ms). */
  timeoutMs: number;
}

export interface HubReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (null when it is not JSON). */
  json: unknown;
}

export interface HubCall {
  method: 'GET' | 'POST';
  path: string;
  query?: string;
  body?: Buffer;
  /** A gzip NDJSON batch rather than JSON. */
  batch?: boolean;
  /** The size of the last tree the device verified (asks for a consistency proof). */
  treeSize?: number;
}

/** The error envelope's name and message, when the reply carries one. */
export function replyError(reply: HubReply): { name: string; message: string; [k: string]: unknown } | null {
  const error = (reply.json as { error?: unknown } | null)?.error;
  if (!error || typeof error !== 'object') return null;
  const e = error as Record<string, unknown>;
  return { ...e, name: String(e.name ?? ''), message: String(e.message ?? '') };
}

export function callHub(target: HubTarget, call: HubCall): Promise<HubReply> {
  const body = call.body ?? Buffer.alloc(0);
  const base = new URL(target.url);
  const url = new URL(call.path + (call.query ? `?${call.query}` : ''), base);
  const headers: Record<string, string> = {
    ...signRequest({
      method: call.method,
      path: url.pathname,
      body,
      keyid: target.key.deviceId,
      privateKey: target.key.privateKey,
    }),
    accept: 'application/json',
  };
  if (call.method === 'POST') {
    headers['content-type'] = call.batch ? 'application/x-ndjson' : 'application/json';
    if (call.batch) headers['content-encoding'] = 'gzip';
    headers['content-length'] = String(body.length);
  }
  if (call.treeSize !== undefined) headers[HUB_SIGNATURE.headers.treeSize] = String(call.treeSize);
  const secure = url.protocol === 'https:';
  return new Promise<HubReply>((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new HubUnreachable(message));
    };
    const options: https.RequestOptions = { method: call.method, headers, agent: false };
    if (secure && target.tlsPin) options.rejectUnauthorized = false;
    const req = (secure ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_REPLY_BYTES) fail(`the hub's reply is larger than ${MAX_REPLY_BYTES} bytes`);
        else chunks.push(chunk);
      });
      res.on('error', (error) => fail(`the hub's reply was cut: ${error.message}`));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      });
    });
    const timer = setTimeout(
      () => fail(`the hub did not answer within ${target.timeoutMs} ms`),
      target.timeoutMs,
    );
    req.on('error', (error) => {
      clearTimeout(timer);
      fail(
        `cannot reach the hub at ${base.origin}: ${(error as NodeJS.ErrnoException).code ?? error.message}`,
      );
    });
    if (secure && target.tlsPin) {
      const pin = target.tlsPin;
      req.on('socket', (socket) => {
        socket.once('secureConnect', () => {
          const cert = (socket as TLSSocket).getPeerX509Certificate();
          if (!cert || tlsPinOf(cert) !== pin) {
            clearTimeout(timer);
            fail(`the hub's TLS certificate does not match the pin of the enrollment string (${pin})`);
          }
        });
      });
    }
    req.end(body);
  });
}
