// An npm registry request a policy's spec.packages governs: a packument is read whole
// (bounded, decoded), judged and rewritten before the agent sees it; a tarball's version is
// judged (denied with a 403 npm prints, held for a human, or let through) and its bytes
// hashed on their way, so the audit records the name, version and integrity fetched.

import { createHash } from 'node:crypto';
import type http from 'node:http';
import type { PackageRef, RequestFacts } from '../api/index.ts';
import {
  describeRemoved,
  describeVersion,
  holdView,
  type NpmOpening,
  packageRef,
  preferredWhy,
  readAnswer,
  rewritePackument,
  type VersionInfo,
  type VersionVerdict,
} from '../packages/index.ts';
import { suggestRule } from '../policy/index.ts';
import { upstreamScheme } from './admit.ts';
import type { Arrival } from './arrival.ts';
import type { ProxyServices, ResponseRedactor } from './context.ts';
import type { Allowed, Refused } from './decide.ts';
import { endToEndRawHeaders } from './hop-headers.ts';
import { fetchPackumentEntry } from './package-fetch.ts';
import type { ExchangeRecord } from './record.ts';
import type { ResolvedAddress } from './resolver.ts';
import type { UpstreamTlsOptions } from './upstream.ts';

export interface PackageExchange {
  svc: ProxyServices & { packages: NonNullable<ProxyServices['packages']> };
  arrival: Arrival;
  res: http.ServerResponse;
  record: ExchangeRecord;
  facts: RequestFacts;
  verdict: Allowed;
  address: ResolvedAddress;
  headers: Record<string, string | string[]>;
  url: string;
  npm: NpmOpening;
  /** The policy's TLS for this upstream (spec.network.upstreams), when it names one. */
  tls?: UpstreamTlsOptions;
  redactor?: ResponseRedactor;
  signal: AbortSignal;
  fail(verdict: Refused): void;
  refusal(status: 400 | 502, reason: string): Refused;
}

/** Does this exchange take the package path (else the ordinary relay, unchanged)? */
export function takesPackagePath(npm: NpmOpening): boolean {
  return npm.request.kind !== 'packument' || npm.rules.rewrites;
}

/** A refusal npm prints: its `error` field ends up in npm's message. */
function refuseJson(
  x: PackageExchange,
  status: 403 | 502,
  reason: string,
  outcome: 'denied' | 'error',
): void {
  const { res, record } = x;
  record.status = status;
  if (res.headersSent) res.destroy();
  else {
    const body = JSON.stringify({ error: `Warden: ${reason}` });
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      'x-warden-decision': `${outcome}; reason="${reason
        .replace(/[^\x20-\x7e]/g, '?')
        .replace(/"/g, "'")
        .slice(0, 600)}"`,
    });
    res.end(body);
  }
  record.finish({ ...x.verdict, outcome, decidedBy: 'proxy', reason });
}

function upstreamRequest(x: PackageExchange): http.ClientRequest {
  const { arrival } = x;
  const headers = x.headers;
  // A rewritten or hashed answer is read as the registry sends it: uncompressed, whole.
  headers['accept-encoding'] = 'identity';
  delete headers.range;
  delete headers['if-range'];
  const upstream = arrival.owner.upstream.request({
    scheme: upstreamScheme(arrival.target),
    host: arrival.target.host,
    port: arrival.target.port,
    address: x.address,
    method: 'GET',
    path: x.url,
    headers,
    ...(x.tls ? { tls: x.tls } : {}),
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    const reason = `upstream ${x.facts.host}:${x.facts.port} failed: ${error.code ?? error.message}`;
    if (x.res.headersSent) {
      x.res.destroy();
      return x.record.finish({ ...x.verdict, outcome: 'error', reason });
    }
    x.fail(x.refusal(502, reason));
  });
  x.res.once('close', () => {
    if (!x.res.writableFinished) upstream.destroy();
  });
  return upstream;
}

/** Relay an answer as it is (an error, a 304), counting its bytes. */
function relayAsIs(x: PackageExchange, up: http.IncomingMessage, onEnd?: () => void): void {
  const { res, record } = x;
  record.status = up.statusCode ?? 502;
  res.writeHead(
    up.statusCode ?? 502,
    up.statusMessage,
    endToEndRawHeaders(up.rawHeaders, up.headers.connection),
  );
  const redact = x.redactor?.stream(() => {});
  up.on('data', (c: Buffer) => {
    record.bytesDown += c.length;
    if (!res.write(redact ? redact.push(c) : c)) up.pause();
  });
  res.on('drain', () => up.resume());
  up.on('end', () => {
    onEnd?.();
    res.end(redact ? redact.end() : undefined);
  });
  up.on('error', () => res.destroy());
  res.once('close', () => record.finish(x.verdict));
}

export async function relayPackage(x: PackageExchange): Promise<void> {
  const { request } = x.npm;
  if (request.kind === 'invalid')
    return refuseJson(x, 403, `${request.reason}; the request is not relayed`, 'denied');
  if (request.kind === 'packument') return relayPackument(x, request.name);
  return relayTarball(x, request.name, request.version);
}

function relayPackument(x: PackageExchange, name: string): void {
  const { npm, record, res, svc } = x;
  const headers = x.headers;
  // The rules change as time passes: the registry answers in full, never "not modified".
  delete headers['if-none-match'];
  delete headers['if-modified-since'];
  // Publish times are only in the full packument.
  if (npm.rules.needsTimes) headers.accept = 'application/json';
  record.decide(x.verdict);
  const upstream = upstreamRequest(x);
  upstream.end();
  upstream.on('response', async (up) => {
    if (up.statusCode !== 200) return relayAsIs(x, up);
    const read = await readAnswer(up);
    if (!read.ok) return refuseJson(x, 502, `${read.reason} (packument of ${name})`, 'error');
    record.bytesDown += read.wireBytes;
    const started = performance.now();
    const rewritten = rewritePackument(read.body, name, npm.rules, svc.packages.now());
    if (!rewritten.ok) return refuseJson(x, 502, rewritten.reason, 'error');
    svc.packages.cache.put(npm.registry, name, rewritten.versions);
    const removed = rewritten.removed;
    if (rewritten.kept === 0 && removed.length > 0) {
      const newest = removed[removed.length - 1] ?? removed[0];
      const why = newest ? describeRemoved(name, newest) : name;
      return refuseJson(
        x,
        403,
        `no version of ${name} is allowed by spec.packages.npm; the newest: ${why}`,
        'denied',
      );
    }
    // The rewrite's pieces are ranges of the bytes read: sent as they are, not joined.
    let chunks = rewritten.chunks;
    let size = rewritten.size;
    const redact = x.redactor?.stream(() => {});
    if (redact) {
      chunks = [...chunks.map((c) => redact.push(c)), redact.end()];
      size = chunks.reduce((n, c) => n + c.length, 0);
    }
    if (res.headersSent || x.signal.aborted)
      return record.finish({ ...x.verdict, outcome: 'error', reason: 'the client went away' });
    record.status = 200;
    const type = String(up.headers['content-type'] ?? 'application/json');
    res.writeHead(200, {
      'content-type': type,
      'content-length': size,
      'cache-control': 'no-store',
      'x-warden-packages': `${removed.length} of ${removed.length + rewritten.kept} versions removed`,
    });
    res.cork();
    for (const c of chunks) res.write(c);
    res.end();
    const ms = (performance.now() - started).toFixed(1);
    const what =
      removed.length === 0
        ? `spec.packages.npm kept every version of ${name} (${ms} ms)`
        : `spec.packages.npm removed ${removed.length} version${removed.length === 1 ? '' : 's'} of ${name}: ${removed
            .slice(-3)
            .map((r) => `${r.version} (${r.why})`)
            .join('; ')}`;
    record.finish({ ...x.verdict, reason: `${x.verdict.reason}; ${what}` });
  });
}

async function relayTarball(x: PackageExchange, name: string, version: string): Promise<void> {
  const { npm, record, svc } = x;
  const packages = svc.packages;
  let info: VersionInfo | undefined = packages.cache.get(npm.registry, name, version);
  if (!info && npm.rules.governs) {
    // A lockfile install fetches tarballs without their packument: Warden reads it itself.
    const fetched = await fetchPackumentEntry(x, name, version);
    if ('error' in fetched) return refuseJson(x, 502, fetched.error, 'error');
    info = fetched.info;
  }
  const ref: PackageRef = packageRef(name, version, info);
  record.package = ref;
  const verdict: VersionVerdict = info
    ? packages.judgeTarball(npm, name, version, info)
    : { action: 'allow' };
  // A version `provenance: prefer` removed from the packument (a lockfile's pin): allowed,
  // and the record (or the card, when it is held for another reason) says what was preferred.
  const preferred = info?.preferred ? preferredWhy(info.preferred) : undefined;
  let allowed: Allowed = preferred
    ? { ...x.verdict, reason: `${x.verdict.reason}; ${name}@${version}: ${preferred}` }
    : x.verdict;
  if (verdict.action === 'deny') {
    return refuseJson(
      x,
      403,
      `${describeVersion(ref)} is refused: ${verdict.why} (${verdict.rule})`,
      'denied',
    );
  }
  if (verdict.action === 'ask') {
    const sandbox = x.arrival.owner.sandbox;
    const outcome = await svc.approvals.request({
      identity: sandbox.identity,
      facts: x.facts,
      reason: `${describeVersion(ref)}: ${verdict.why} (${verdict.rule}${verdict.approver === 'it' ? '; IT answers it on the team hub' : ''})`,
      rule: null,
      suggestedRule: suggestRule(x.facts),
      timeoutSeconds: sandbox.policy().approvalTimeoutSeconds,
      signal: x.signal,
      package: holdView(ref, npm.registry, preferred ? `${verdict.why}; ${preferred}` : verdict.why),
      ...(verdict.approver ? { approver: verdict.approver } : {}),
    });
    if (outcome.kind === 'answered' && outcome.decision === 'allow') {
      allowed = {
        ...x.verdict,
        decidedBy: 'approval',
        approvalId: outcome.approvalId,
        reason: `${outcome.by} allowed ${name}@${version} (once): ${verdict.why}`,
      };
    } else {
      const why =
        outcome.kind === 'answered'
          ? `${outcome.by} denied ${describeVersion(ref)} (${verdict.why})`
          : outcome.kind === 'expired'
            ? `${outcome.why ?? `approval timed out: nobody answered within ${outcome.timeoutSeconds} s`} (${describeVersion(ref)}: ${verdict.why})`
            : outcome.reason;
      if (outcome.kind === 'cancelled' && x.signal.aborted) {
        return record.finish({ ...x.verdict, outcome: 'error', reason: 'the client went away' });
      }
      record.status = 403;
      const r = {
        ...x,
        verdict: { ...x.verdict, approvalId: outcome.approvalId, decidedBy: 'approval' as const },
      };
      return refuseJson(r, 403, why, outcome.kind === 'expired' ? 'denied' : 'denied');
    }
  }
  record.decide(allowed);
  const upstream = upstreamRequest({ ...x, verdict: allowed });
  upstream.end();
  upstream.on('response', (up) => {
    if (up.statusCode !== 200) return relayAsIs({ ...x, verdict: allowed }, up);
    const hash = createHash('sha512');
    up.on('data', (c: Buffer) => hash.update(c));
    relayAsIs({ ...x, verdict: allowed }, up, () => {
      record.package = packageRef(name, version, info, `sha512-${hash.digest('base64')}`);
      packages.fetched(name);
    });
  });
}
