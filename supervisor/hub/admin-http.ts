// The hub's admin face under /admin: the web page's files (hub-web/, bundled) and its API.
// Every API call but sign-in needs the session cookie (401 without); every POST needs an
// Origin equal to the hub's own and the session's CSRF token in a header (403 without);
// sign-in is rate-limited per name and per client address (429 + Retry-After).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { WardenError } from '../api/errors.ts';
import {
  HUB_ADMIN_COOKIE,
  HUB_ADMIN_CSRF_HEADER,
  HUB_ADMIN_LIMITS,
  HUB_ADMIN_PATHS,
  HUB_SEVERITIES,
  HubAckSchema,
  type HubEventFilter,
  type HubExportView,
  HubRevokeSchema,
  type HubSeverity,
  type HubSignIn,
  HubSignInSchema,
  type HubSpotCheckRequest,
  HubSpotCheckSchema,
  HubTokenCreateSchema,
  HubTokenExpireSchema,
} from '../api/hub-admin.ts';
import { HubItAdminAnswerSchema } from '../api/hub-approvals.ts';
import { describeErrors } from '../server/route-match.ts';
import { AdminSessions, SignInLimiter, sameSecret } from './admin-auth.ts';
import { deviceDetail, deviceViews, knownDevice, receiptsOf, requestSpotCheck } from './admin-devices.ts';
import { proofOf } from './admin-proof.ts';
import type { AdminStore } from './admin-store.ts';
import { exportStatuses } from './exports/targets.ts';
import { deviceNames, type HubItApprovals } from './it-approvals.ts';
import { requestRotation } from './rotation.ts';
import type { HubService } from './service.ts';

export interface AdminHttpOptions {
  service: HubService;
  admin: AdminStore;
  /** IT's approvals inbox (it-approvals.ts). */
  itApprovals: HubItApprovals;
  /** The bundled page (build/hub-web.mjs); default dist/hub-web beside the sources. */
  webRoot?: string;
  secure: boolean;
}

const STATIC: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

const MAX_BODY = 16 * 1024;

/** dist/hub-web: beside the bundled CLI (dist/*.js), or two levels up from these sources. */
export function defaultWebRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const bundled = path.join(here, 'hub-web');
  return existsSync(bundled) ? bundled : path.resolve(here, '../../dist/hub-web');
}

function cookieOf(req: http.IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === HUB_ADMIN_COOKIE) return v.join('=');
  }
  return undefined;
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new WardenError('BodyTooLarge', `the request body exceeds ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new WardenError('BadRequest', 'the body is not JSON');
  }
}

export class AdminHttp {
  readonly #o: AdminHttpOptions;
  readonly sessions: AdminSessions;
  readonly limiter: SignInLimiter;
  readonly #ajv = new Ajv({ allErrors: true, strict: false });
  readonly #schemas = new Map<object, ValidateFunction>();

  constructor(o: AdminHttpOptions) {
    this.#o = o;
    this.sessions = new AdminSessions(o.admin.db, o.service.now);
    this.limiter = new SignInLimiter(o.admin.db, o.service.now);
  }

  get adminStore(): AdminStore {
    return this.#o.admin;
  }

  get itApprovals(): HubItApprovals {
    return this.#o.itApprovals;
  }

  close(): Promise<void> {
    return this.#o.admin.db.close();
  }

  #valid<T>(schema: object, value: unknown): T {
    let v = this.#schemas.get(schema);
    if (!v) {
      v = this.#ajv.compile(schema);
      this.#schemas.set(schema, v);
    }
    if (!v(value)) throw new WardenError('BadRequest', `invalid body: ${describeErrors(v)}`);
    return value as T;
  }

  /** Serve GET /admin[/file]; false when `pathname` is not a page file. */
  serveStatic(pathname: string, res: http.ServerResponse): boolean {
    const name =
      pathname === '/admin' || pathname === '/admin/' ? 'index.html' : pathname.slice('/admin/'.length);
    const type = STATIC[name];
    if (!type) return false;
    let body: Buffer;
    try {
      body = readFileSync(path.join(this.#o.webRoot ?? defaultWebRoot(), name));
    } catch {
      throw new WardenError(
        'NotFound',
        'the hub web page is not built',
        'Run npm run build (build/hub-web.mjs).',
      );
    }
    res.writeHead(200, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'content-security-policy':
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    });
    res.end(body);
    return true;
  }

  /** Handle /admin/api/…; returns the JSON answer (headers for cookies set on `res`). */
  async api(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<unknown> {
    const { service, admin } = this.#o;
    const now = service.now();
    const route = `${req.method} ${url.pathname}`;
    if (req.method === 'POST') this.#checkOrigin(req);
    if (route === `POST ${HUB_ADMIN_PATHS.signIn}`) return this.#signIn(req, res);
    const token = cookieOf(req);
    const session = await this.sessions.get(token);
    if (!session || !token)
      throw new WardenError(
        'Unauthorized',
        'not signed in (no valid session cookie)',
        'Sign in on the hub page.',
      );
    if (req.method === 'POST') {
      const sent = req.headers[HUB_ADMIN_CSRF_HEADER];
      if (typeof sent !== 'string' || !sameSecret(sent, session.csrf))
        throw new WardenError(
          'Forbidden',
          `missing or wrong ${HUB_ADMIN_CSRF_HEADER} header`,
          'Reload the page.',
        );
    }
    const who = session.name;
    switch (route) {
      case `GET ${HUB_ADMIN_PATHS.session}`:
        return { name: who, csrf: session.csrf };
      case `POST ${HUB_ADMIN_PATHS.signOut}`:
        await this.sessions.end(token);
        res.setHeader('set-cookie', this.#cookie('', 0));
        await admin.record(now, who, 'sign-out', '');
        return { ok: true };
      case `GET ${HUB_ADMIN_PATHS.devices}`:
        return deviceViews(service, admin, now);
      case `POST ${HUB_ADMIN_PATHS.revoke}`: {
        const { device } = this.#valid<{ device: string }>(HubRevokeSchema, await readJson(req));
        if (!(await service.store.revoke(device, now)))
          throw new WardenError('NotFound', `no enrolled, unrevoked device ${device}`);
        await admin.record(now, who, 'device.revoke', device);
        return { ok: true };
      }
      case `GET ${HUB_ADMIN_PATHS.events}`:
        return admin.events(this.#filter(url.searchParams));
      case `GET ${HUB_ADMIN_PATHS.alerts}`:
        return admin.alerts();
      case `POST ${HUB_ADMIN_PATHS.ack}`: {
        const b = this.#valid<{ id: number; note: string }>(HubAckSchema, await readJson(req));
        await admin.acknowledge(b.id, who, b.note, now);
        return { ok: true };
      }
      case `GET ${HUB_ADMIN_PATHS.tokens}`:
        return admin.tokens();
      case `POST ${HUB_ADMIN_PATHS.tokenCreate}`: {
        const b = this.#valid<{ ttlHours: number }>(HubTokenCreateSchema, await readJson(req));
        const minted = await service.createToken(b.ttlHours * 3_600_000);
        const id = createHash('sha256').update(minted.token).digest('hex');
        await admin.record(now, who, 'token.create', id);
        return { token: minted.token, id, expires: minted.expiresAt };
      }
      case `POST ${HUB_ADMIN_PATHS.tokenExpire}`: {
        const b = this.#valid<{ id: string }>(HubTokenExpireSchema, await readJson(req));
        await admin.expireToken(b.id, who, now);
        return { ok: true };
      }
      case `GET ${HUB_ADMIN_PATHS.actions}`:
        return admin.actions();
      case `GET ${HUB_ADMIN_PATHS.approvals}`:
        return this.#o.itApprovals.list(
          url.searchParams.get('state') === 'all' ? 'all' : 'pending',
          await deviceNames(service),
        );
      case `POST ${HUB_ADMIN_PATHS.approvalAnswer}`: {
        const b = this.#valid<{ id: string; decision: 'allow' | 'deny' }>(
          HubItAdminAnswerSchema,
          await readJson(req),
        );
        return this.#o.itApprovals.answer(b.id, b.decision, who, now, service.log.signer, admin);
      }
      default:
        return this.#deviceRoutes(route, req, url, who, now);
    }
  }

  /** A device's detail, receipts, spot-checks and proofs; the exports. */
  async #deviceRoutes(
    route: string,
    req: http.IncomingMessage,
    url: URL,
    who: string,
    now: number,
  ): Promise<unknown> {
    const { service, admin } = this.#o;
    const q = url.searchParams;
    switch (route) {
      case `GET ${HUB_ADMIN_PATHS.device}`:
        return deviceDetail(service, admin, q.get('id') ?? '', now);
      case `GET ${HUB_ADMIN_PATHS.receipts}`: {
        const d = await knownDevice(service, q.get('device') ?? '');
        return receiptsOf(admin, d.id, intParam(q, 'before'), intParam(q, 'limit') ?? 20);
      }
      case `POST ${HUB_ADMIN_PATHS.spotCheck}`: {
        const b = this.#valid<HubSpotCheckRequest>(HubSpotCheckSchema, await readJson(req));
        return requestSpotCheck(service, admin, b.device, b.seqs, who, now);
      }
      case `GET ${HUB_ADMIN_PATHS.proof}`: {
        const d = await knownDevice(service, q.get('device') ?? '');
        const seq = intParam(q, 'seq');
        if (seq === undefined || seq < 1)
          throw new WardenError('BadRequest', 'seq must be a positive integer');
        const proof = await proofOf(service, admin, d.id, seq);
        await admin.record(now, who, 'record.prove', `${d.id}.${seq}`);
        return proof;
      }
      case `POST ${HUB_ADMIN_PATHS.rotate}`: {
        const { device } = this.#valid<{ device: string }>(HubRevokeSchema, await readJson(req));
        return requestRotation(service, admin, device, who, now);
      }
      case `GET ${HUB_ADMIN_PATHS.exports}`:
        return (await exportStatuses(service.store)).map(
          (t): HubExportView => ({
            name: t.name,
            kind: t.kind,
            target: t.target,
            lag: t.lag,
            exported: t.exported,
            lastAttempt: t.lastAttempt,
            lastSuccess: t.lastSuccess,
            lastError: t.lastError,
          }),
        );
      default:
        throw new WardenError('NotFound', `no admin route ${route}`);
    }
  }

  #checkOrigin(req: http.IncomingMessage): void {
    const want = `${this.#o.secure ? 'https' : 'http'}://${req.headers.host ?? ''}`;
    if (req.headers.origin !== want)
      throw new WardenError('Forbidden', 'cross-origin request refused (Origin is not the hub)');
  }

  #cookie(value: string, maxAgeSec: number): string {
    return `${HUB_ADMIN_COOKIE}=${value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}${this.#o.secure ? '; Secure' : ''}`;
  }

  async #signIn(req: http.IncomingMessage, res: http.ServerResponse): Promise<unknown> {
    const b = this.#valid<HubSignIn>(HubSignInSchema, await readJson(req));
    const keys = [`name:${b.name}`, `addr:${req.socket.remoteAddress ?? '?'}`];
    const wait = await this.limiter.retryAfter(keys);
    if (wait > 0)
      throw new WardenError('RateLimited', 'too many failed sign-ins', `Wait ${wait} s.`, {
        retryAfter: wait,
      });
    const now = this.#o.service.now();
    if (!(await this.#o.admin.verify(b.name, b.password))) {
      await this.limiter.fail(keys);
      await this.#o.admin.record(now, b.name, 'sign-in.failed', req.socket.remoteAddress ?? '');
      throw new WardenError('Unauthorized', 'wrong name or password');
    }
    await this.limiter.succeed(keys);
    const s = await this.sessions.create(b.name);
    res.setHeader('set-cookie', this.#cookie(s.token, HUB_ADMIN_LIMITS.sessionTtlMs / 1000));
    await this.#o.admin.record(now, b.name, 'sign-in', req.socket.remoteAddress ?? '');
    return { name: b.name, csrf: s.csrf };
  }

  #filter(q: URLSearchParams): HubEventFilter {
    const str = (k: string): string | undefined => {
      const v = q.get(k);
      if (v && v.length > 1024) throw new WardenError('BadRequest', `${k} is too long`);
      return v || undefined;
    };
    const severity = str('severity');
    if (severity !== undefined && !(HUB_SEVERITIES as readonly string[]).includes(severity))
      throw new WardenError('BadRequest', `severity must be one of ${HUB_SEVERITIES.join(', ')}`);
    return {
      device: str('device'),
      user: str('user'),
      sandbox: str('sandbox'),
      severity: severity as HubSeverity | undefined,
      kind: str('kind'),
      host: str('host'),
      outcome: str('outcome'),
      from: intParam(q, 'from'),
      to: intParam(q, 'to'),
      cursor: str('cursor'),
      limit: intParam(q, 'limit'),
    };
  }
}

function intParam(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  if (!/^-?\d{1,16}$/.test(v)) throw new WardenError('BadRequest', `${k} must be an integer`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new WardenError('BadRequest', `${k} is out of range`);
  return n;
}
