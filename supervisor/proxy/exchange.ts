// One HTTP exchange through the proxy — a plain-HTTP forward request or a request inside
// an intercepted TLS tunnel: check secrets, decide, vet the address, forward, stream the
// answer back, and record the outcome.

import type http from 'node:http';
import type { RequestFacts } from '../api/index.ts';
import { normalizeHost } from '../policy/index.ts';
import { type BlockInfo, blockBody, blockHead } from './block.ts';
import type { ProxyServices, SandboxContext } from './context.ts';
import { settle, unavailable, type Verdict, vetAddress } from './decide.ts';
import { endToEndHeaders, endToEndRawHeaders } from './hop-headers.ts';
import { ExchangeRecord } from './record.ts';
import { defaultPort, displayAuthority, factsOf, type Target } from './target.ts';

export function sendBlock(res: http.ServerResponse, info: BlockInfo): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = blockBody(info);
  const head = blockHead(info, body);
  res.writeHead(head.status, head.statusText, head.headers);
  res.end(body);
}

/** Check a request's headers and URL for secret placeholders and inject the bound ones. */
export function checkSecrets(
  svc: ProxyServices,
  sandbox: SandboxContext,
  facts: RequestFacts,
  headers: http.IncomingHttpHeaders,
  url: string,
  intercepted: boolean,
): { headers: http.IncomingHttpHeaders; url: string; verdict?: Verdict } {
  const { sandboxId, user } = sandbox.identity;
  const result = svc.secrets.apply(
    { sandboxId, host: facts.host, intercepted, headers, url },
    sandbox.secrets(),
  );
  const time = new Date().toISOString();
  if (result.violations.length > 0) {
    for (const v of result.violations) {
      svc.emit({
        type: 'secret.exfiltration_blocked',
        time,
        sandboxId,
        user,
        secret: v.secret,
        host: facts.host,
        where: v.where,
        method: facts.method,
        path: facts.path,
      });
    }
    const first = result.violations[0]!;
    const reason =
      first.where === 'plain-http'
        ? `the request carries the placeholder of secret ${first.secret} over plain HTTP; secrets are only injected into HTTPS requests`
        : `the request carries the placeholder of secret ${first.secret} (in ${first.where}), which is not bound to ${facts.host}; placeholders are never sent to other hosts`;
    const verdict: Verdict = {
      allowed: false,
      outcome: 'denied',
      rule: null,
      reason,
      decidedBy: 'proxy',
      block: { status: 403, verdict: 'exfiltration', reason, identity: sandbox.identity, facts },
    };
    return { headers, url, verdict };
  }
  for (const secret of result.injected) {
    svc.emit({ type: 'secret.injected', time, sandboxId, user, secret, host: facts.host });
  }
  return { headers: result.headers as http.IncomingHttpHeaders, url: result.url };
}

/** Compare a Host header with the authority the tunnel was opened for. */
export function hostMatches(hostHeader: string | undefined, target: Target): boolean {
  if (!hostHeader) return true;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(hostHeader.trim());
  if (!m) return false;
  let host: string;
  try {
    host = normalizeHost(m[1]!);
  } catch {
    return false;
  }
  const port = m[2] ? Number(m[2]) : defaultPort(target.scheme);
  return host === target.host && port === target.port;
}

export async function handleExchange(
  svc: ProxyServices,
  sandbox: SandboxContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: Target,
  intercepted: boolean | undefined,
): Promise<void> {
  const facts = factsOf(target, req.method ?? 'GET');
  const record = new ExchangeRecord(sandbox, svc.emit, facts, intercepted);
  const aborter = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) aborter.abort();
  });
  const fail = (verdict: Verdict) => {
    if (verdict.block) {
      record.status = verdict.block.status;
      sendBlock(res, verdict.block);
    }
    record.finish(verdict);
  };

  const gate = svc.gate();
  if (gate) return fail(unavailable(sandbox, facts, gate));

  if (intercepted && !hostMatches(req.headers.host, target)) {
    const reason = `the Host header "${String(req.headers.host).slice(0, 100)}" does not match the tunnel's host ${target.host}:${target.port}`;
    return fail({
      allowed: false,
      outcome: 'denied',
      rule: null,
      reason,
      decidedBy: 'proxy',
      block: { status: 421, verdict: 'denied', reason, identity: sandbox.identity, facts },
    });
  }

  const secrets = checkSecrets(svc, sandbox, facts, req.headers, target.pathAndQuery, intercepted === true);
  if (secrets.verdict) return fail(secrets.verdict);

  const verdict = await settle(svc, sandbox, facts, sandbox.policy().decideRequest(facts), aborter.signal);
  if (!verdict.allowed) return fail(verdict);
  const vetted = await vetAddress(svc, sandbox, facts, aborter.signal, verdict);
  if (!vetted.ok) return fail(vetted.verdict);
  if (aborter.signal.aborted)
    return record.finish({ ...verdict, outcome: 'error', reason: 'the client went away' });
  record.address = vetted.address.address;

  const headers = endToEndHeaders(secrets.headers);
  headers.host = displayAuthority(target.scheme, target.host, target.port);
  const upstream = svc.upstream.request({
    scheme: target.scheme === 'https' || target.scheme === 'wss' ? 'https' : 'http',
    host: target.host,
    port: target.port,
    address: vetted.address,
    method: facts.method,
    path: secrets.url,
    headers,
  });

  const scanner = svc.secrets.holdsPlaceholders(sandbox.identity.sandboxId)
    ? svc.secrets.bodyScanner(sandbox.identity.sandboxId, facts.host)
    : undefined;
  let blocked = false;
  req.on('data', (chunk: Buffer) => {
    if (blocked) return;
    if (scanner) {
      let found: Array<{ secret: string; where: string }>;
      try {
        found = scanner.push(chunk);
      } catch (error) {
        // Fail closed: a body that cannot be scanned is not forwarded.
        blocked = true;
        upstream.destroy();
        svc.log.error('body scan failed', { error: (error as Error).message });
        res.destroy();
        return;
      }
      if (found.length > 0) {
        blocked = true;
        upstream.destroy();
        const check = checkSecretsBody(svc, sandbox, facts, found);
        fail(check);
        return;
      }
    }
    record.bytesUp += chunk.length;
    if (!upstream.write(chunk)) req.pause();
  });
  upstream.on('drain', () => req.resume());
  req.on('end', () => {
    if (!blocked) upstream.end();
  });
  req.on('error', () => upstream.destroy());

  upstream.on('response', (up) => {
    record.status = up.statusCode;
    const raw = endToEndRawHeaders(up.rawHeaders, up.headers.connection);
    res.writeHead(up.statusCode ?? 502, up.statusMessage, raw);
    up.on('data', (chunk: Buffer) => {
      record.bytesDown += chunk.length;
    });
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (blocked) return;
    const reason = upstreamErrorReason(facts, vetted.address.address, error);
    if (res.headersSent) {
      res.destroy();
      record.finish({ ...verdict, outcome: 'error', reason });
      return;
    }
    fail({
      ...verdict,
      allowed: false,
      outcome: 'error',
      reason,
      block: { status: 502, verdict: 'error', reason, identity: sandbox.identity, facts },
    });
  });
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
    record.finish(
      res.writableFinished ? verdict : { ...verdict, outcome: verdict.outcome, reason: verdict.reason },
    );
  });
}

function checkSecretsBody(
  svc: ProxyServices,
  sandbox: SandboxContext,
  facts: RequestFacts,
  found: Array<{ secret: string; where: string }>,
): Verdict {
  const time = new Date().toISOString();
  for (const v of found) {
    svc.emit({
      type: 'secret.exfiltration_blocked',
      time,
      sandboxId: sandbox.identity.sandboxId,
      user: sandbox.identity.user,
      secret: v.secret,
      host: facts.host,
      where: v.where,
      method: facts.method,
      path: facts.path,
    });
  }
  const reason = `the request body carries the placeholder of secret ${found[0]!.secret}, which is not bound to ${facts.host}; placeholders are never sent to other hosts`;
  return {
    allowed: false,
    outcome: 'denied',
    rule: null,
    reason,
    decidedBy: 'proxy',
    block: { status: 403, verdict: 'exfiltration', reason, identity: sandbox.identity, facts },
  };
}

export function upstreamErrorReason(
  facts: RequestFacts,
  address: string,
  error: NodeJS.ErrnoException,
): string {
  const where = `${facts.host}:${facts.port} (${address})`;
  const code = error.code ?? '';
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return `the upstream certificate of ${where} is not trusted (${code}: ${error.message}); to trust a private CA, start the daemon with WARDEN_UPSTREAM_CA=<file>`;
  }
  if (code === 'ECONNREFUSED') return `could not connect to ${where}: connection refused`;
  if (code === 'ETIMEDOUT') return `could not connect to ${where}: timed out`;
  if (code === 'ECONNRESET') return `the connection to ${where} was reset`;
  return `upstream ${where} failed: ${code || error.message}`;
}
