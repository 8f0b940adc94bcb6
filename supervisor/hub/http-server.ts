// The hub's HTTP(S) face: reads each body with a cap (413), authenticates every device
// request (RFC 9421 signature by an enrolled, unrevoked key; a nonce once; `created` in the
// window), validates bodies against the contract's schemas and maps WardenError names to
// statuses through the one table. Too many batches at once are answered 429 + Retry-After,
// which also spreads devices reconnecting after an outage.

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import { asWardenError, WardenError } from '../api/errors.ts';
import {
  HUB_LIMITS,
  HUB_PATHS,
  HUB_SIGNATURE,
  HubChallengeAnswerSchema,
  type HubEnrollRequest,
  HubEnrollRequestSchema,
  HubHeartbeatRequestSchema,
  HubRotateRequestSchema,
} from '../api/hub.ts';
import { HubItPollSchema, HubItPostSchema } from '../api/hub-approvals.ts';
import { decodeBatch } from '../hub-protocol/batch.ts';
import { deviceIdOf } from '../hub-protocol/enrollment.ts';
import { type HeaderBag, parseSignedRequest, signatureValid } from '../hub-protocol/signature.ts';
import { ERROR_STATUS } from '../server/error-status.ts';
import { describeErrors } from '../server/route-match.ts';
import { ed25519PublicKeyObject } from '../tlog/note.ts';
import type { AdminHttp } from './admin-http.ts';
import { EXPORT_PATH, type ExportStream } from './exports/stream.ts';
import { activeDevice } from './ingest.ts';
import { completeRotation, rotationPending } from './rotation.ts';
import type { HubService } from './service.ts';
import type { DeviceRow } from './store.ts';

export interface HubServerOptions {
  service: HubService;
  host: string;
  port: number;
  /** PEM certificate and key: HTTPS. Without them the hub listens only on loopback. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Batches processed at once by this process before 429 (default 16, under the PostgreSQL pool's 20). */
  maxInflight?: number;
  /** Logs one line per refused or failed request (never bodies, tokens or signatures). */
  log?: (line: string) => void;
  /** The admin page and its API under /admin (admin-http.ts); absent: 404. */
  admin?: AdminHttp;
  /** `GET /v1/export` (exports/stream.ts); absent: 404. */
  exportStream?: ExportStream;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

class TooLarge extends Error {}

type Validated = 'enroll' | 'heartbeat' | 'challenge' | 'rotate' | 'itPost' | 'itPoll';

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      reject(new TooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        reject(new TooLarge());
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class HubServer {
  readonly #o: HubServerOptions;
  readonly #server: http.Server;
  readonly #validate: Record<Validated, ValidateFunction>;
  #inflight = 0;

  constructor(o: HubServerOptions) {
    if (!o.tls && !isLoopbackHost(o.host)) {
      throw new WardenError(
        'BadRequest',
        `refusing to serve plain HTTP on ${o.host}: devices would send their audit trail unencrypted`,
        'Give --tls-cert and --tls-key, or listen on 127.0.0.1 behind a TLS-terminating proxy.',
      );
    }
    this.#o = o;
    const ajv = new Ajv({ allErrors: true, strict: false });
    this.#validate = {
      enroll: ajv.compile(HubEnrollRequestSchema),
      heartbeat: ajv.compile(HubHeartbeatRequestSchema),
      challenge: ajv.compile(HubChallengeAnswerSchema),
      rotate: ajv.compile(HubRotateRequestSchema),
      itPost: ajv.compile(HubItPostSchema),
      itPoll: ajv.compile(HubItPollSchema),
    };
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.#handle(req, res);
    this.#server = o.tls
      ? https.createServer({ cert: o.tls.cert, key: o.tls.key }, handler)
      : http.createServer(handler);
    this.#server.requestTimeout = 60_000;
    // Longer than clients keep idle connections (undici: 4 s), so a client never reuses a
    // connection the hub is closing at that moment (a reset the device would have to retry).
    this.#server.keepAliveTimeout = 30_000;
    this.#server.headersTimeout = 20_000;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port, this.#o.host, () => {
        this.#server.off('error', reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  get url(): string {
    const a = this.#server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.#o.tls ? 'https' : 'http'}://${host}:${a.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub.invalid');
    const route = `${req.method} ${url.pathname}`;
    let batch = false;
    try {
      if (route === `GET ${HUB_PATHS.checkpoint}`) {
        const latest = await this.#o.service.latest();
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end(latest.note);
        return;
      }
      if (url.pathname === '/admin' || url.pathname.startsWith('/admin/')) {
        await this.#admin(req, res, url);
        return;
      }
      if (url.pathname === EXPORT_PATH) {
        if (!this.#o.exportStream) throw new WardenError('NotFound', 'this hub serves no export stream');
        await this.#o.exportStream.handle(req, res, url);
        return;
      }
      const known = Object.values(HUB_PATHS) as string[];
      if (!known.includes(url.pathname)) throw new WardenError('NotFound', `no hub route ${url.pathname}`);
      if (route === `POST ${HUB_PATHS.batches}`) {
        batch = true;
        if (++this.#inflight > (this.#o.maxInflight ?? 16)) {
          throw new WardenError('RateLimited', 'the hub is busy', 'Retry after the time given.', {
            retryAfter: 1 + Math.floor(Math.random() * 5),
          });
        }
      }
      let body: Buffer;
      try {
        body = await readBody(req, HUB_LIMITS.maxBodyBytes);
      } catch (error) {
        if (error instanceof TooLarge) {
          res.setHeader('connection', 'close');
          throw new WardenError(
            'BodyTooLarge',
            `the request body exceeds ${HUB_LIMITS.maxBodyBytes} bytes`,
            'Send smaller batches.',
          );
        }
        throw error;
      }
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      const out = await this.#route(route, url, req.headers, body, gone.signal);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(out));
    } catch (error) {
      this.#fail(res, route, error);
    } finally {
      if (batch) this.#inflight--;
    }
  }

  async #admin(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const admin = this.#o.admin;
    if (!admin) throw new WardenError('NotFound', 'this hub serves no admin page');
    if (!url.pathname.startsWith('/admin/api/')) {
      if (req.method === 'GET' && admin.serveStatic(url.pathname, res)) return;
      throw new WardenError('NotFound', `no admin page ${url.pathname}`);
    }
    const out = await admin.api(req, res, url);
    res.writeHead(200, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(JSON.stringify(out));
  }

  #fail(res: http.ServerResponse, route: string, error: unknown): void {
    const e = asWardenError(error);
    const status = ERROR_STATUS[e.name];
    if (status >= 500)
      this.#o.log?.(`hub: ${route} failed: ${error instanceof Error ? error.stack : String(error)}`);
    else this.#o.log?.(`hub: ${route} → ${status} ${e.name}: ${e.message}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (e.name === 'RateLimited') headers['retry-after'] = String(e.fields?.retryAfter ?? 1);
    const envelope =
      status >= 500 ? { error: { name: e.name, message: 'the hub failed; see its log' } } : e.toEnvelope();
    res.writeHead(status, headers);
    res.end(JSON.stringify(envelope));
  }

  #json<T>(kind: Validated, body: Buffer): T {
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      throw new WardenError('BadRequest', 'the body is not JSON');
    }
    const validate = this.#validate[kind];
    if (!validate(value)) throw new WardenError('BadRequest', `invalid body: ${describeErrors(validate)}`);
    return value as T;
  }

  /** The enrolled, unrevoked device that signed this request (its nonce spent). */
  async #authenticate(method: string, path: string, headers: HeaderBag, body: Buffer): Promise<DeviceRow> {
    const { service } = this.#o;
    const now = service.now();
    const parsed = parseSignedRequest(method, path, headers, body, now);
    const device = await service.store.device(parsed.keyid);
    if (!device || !signatureValid(parsed, ed25519PublicKeyObject(Buffer.from(device.publicKey, 'base64')))) {
      throw new WardenError(
        'Unauthorized',
        device
          ? 'the request signature does not verify with the device key'
          : `device ${parsed.keyid} is not enrolled`,
        'Requests must be signed by an enrolled device (warden sync enroll).',
      );
    }
    activeDevice(device, device.id);
    await this.#spend(device.id, parsed.nonce, parsed.created, now);
    return device;
  }

  async #spend(device: string, nonce: string, created: number, now: number): Promise<void> {
    const forgetBefore =
      Math.floor(now / 1000) - HUB_LIMITS.signatureMaxAgeSec - HUB_LIMITS.signatureMaxAheadSec;
    if (!(await this.#o.service.store.spendNonce(device, nonce, created, forgetBefore))) {
      throw new WardenError('Unauthorized', 'the request was replayed (its nonce was used before)');
    }
  }

  async #route(
    route: string,
    url: URL,
    headers: HeaderBag,
    body: Buffer,
    signal: AbortSignal,
  ): Promise<unknown> {
    const { service } = this.#o;
    const [method, path] = route.split(' ') as [string, string];
    const seen = Number(headers[HUB_SIGNATURE.headers.treeSize] ?? 0);
    const seenSize = Number.isSafeInteger(seen) && seen >= 0 ? seen : 0;
    switch (route) {
      case `POST ${HUB_PATHS.enroll}`: {
        const parsed = parseSignedRequest(method, path, headers, body, service.now());
        const req = this.#json<HubEnrollRequest>('enroll', body);
        const publicKey = Buffer.from(req.publicKey, 'base64');
        if (
          parsed.keyid !== deviceIdOf(publicKey) ||
          !signatureValid(parsed, ed25519PublicKeyObject(publicKey))
        ) {
          throw new WardenError(
            'Unauthorized',
            'the enrollment request is not signed by the key it registers',
          );
        }
        await this.#spend(parsed.keyid, parsed.nonce, parsed.created, service.now());
        return service.enroll(req);
      }
      case `POST ${HUB_PATHS.batches}`: {
        const device = await this.#authenticate(method, path, headers, body);
        if (headers['content-encoding'] !== 'gzip') {
          throw new WardenError('BadRequest', 'a batch must be sent with Content-Encoding: gzip');
        }
        return service.batch(device, decodeBatch(body), seenSize);
      }
      case `POST ${HUB_PATHS.heartbeat}`: {
        const device = await this.#authenticate(method, path, headers, body);
        const beat = await service.heartbeat(device, this.#json('heartbeat', body), seenSize);
        const admin = this.#o.admin?.adminStore;
        return admin && (await rotationPending(admin, device.id)) ? { ...beat, rotate: true } : beat;
      }
      case `POST ${HUB_PATHS.rotate}`: {
        const device = await this.#authenticate(method, path, headers, body);
        const admin = this.#o.admin?.adminStore;
        if (!admin) throw new WardenError('NotFound', 'this hub rotates no keys (no admin side)');
        return completeRotation(admin, device, this.#json('rotate', body), service.now());
      }
      case `GET ${HUB_PATHS.policy}`: {
        const device = await this.#authenticate(method, path, headers, body);
        return service.policy(device);
      }
      case `POST ${HUB_PATHS.itApprovals}`:
      case `POST ${HUB_PATHS.itAnswers}`: {
        const device = await this.#authenticate(method, path, headers, body);
        const it = this.#o.admin?.itApprovals;
        if (!it) throw new WardenError('NotFound', 'this hub takes no approvals for IT (no admin side)');
        if (path === HUB_PATHS.itApprovals)
          return it.post(device.id, this.#json('itPost', body), service.now());
        const { waitMs } = this.#json<{ waitMs: number }>('itPoll', body);
        return { answers: await it.take(device.id, waitMs, signal) };
      }
      case `POST ${HUB_PATHS.challenge}`: {
        const device = await this.#authenticate(method, path, headers, body);
        return service.answer(device, this.#json('challenge', body));
      }
      case `GET ${HUB_PATHS.heads}`: {
        const device = await this.#authenticate(method, path, headers, body);
        const text = url.searchParams.get('seqs') ?? '';
        const seqs = text.split(',').map(Number);
        if (
          !/^\d{1,16}(,\d{1,16})*$/.test(text) ||
          seqs.length > HUB_LIMITS.maxSeqs ||
          seqs.some((s) => s < 1)
        ) {
          throw new WardenError(
            'BadRequest',
            `seqs must be 1 to ${HUB_LIMITS.maxSeqs} positive integers, comma-separated`,
          );
        }
        return service.heads(device, seqs);
      }
      default:
        throw new WardenError('NotFound', `no hub route ${route}`);
    }
  }
}
