// One HTTP exchange through the proxy — a plain-HTTP forward request or a request inside
// an intercepted TLS tunnel: check secrets, decide, vet the address, forward, stream the
// answer back, and record the outcome.

import type http from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { RequestFacts } from '../api/index.ts';
import { mcpServersOf } from '../mcp/index.ts';
import { RedactionBlocked, redactionRefusal } from '../redact/index.ts';
import { admit, upstreamScheme } from './admit.ts';
import type { Arrival } from './arrival.ts';
import { type BlockInfo, blockBody, blockHead } from './block.ts';
import { declaresBody, frameBody, transferCodingProblem } from './body-framing.ts';
import { type BodyCheck, openBodyCheck } from './body-inspect.ts';
import { holdOverBudget, refuseOverBudget } from './budget-hold.ts';
import type { ProxyServices } from './context.ts';
import { type Allowed, failedAfter, proxyVerdict, type Refused } from './decide.ts';
import { endToEndRaw } from './hop-headers.ts';
import { LazyAbort } from './lazy-abort.ts';
import { relayMcp } from './mcp-exchange.ts';
import { relayPackage, takesPackagePath } from './package-exchange.ts';
import { RawAnswer, UnwritableRequest } from './raw-call.ts';
import { ExchangeRecord } from './record.ts';
import { openRequestRedaction } from './request-redact.ts';
import { askForSearchableAnswer, redactionReporter, relayRedacted } from './response-redact.ts';
import { exfiltrationVerdict } from './secrets-check.ts';
import { factsOf } from './target.ts';
import { namedUpstreamTls, unloadable } from './upstream-tls.ts';

/** What the exchange needs of an upstream request: Node's ClientRequest or the proxy's own RawCall. */
interface UpstreamCall {
  write(chunk: Buffer): boolean;
  end(): void;
  destroy(): void;
  readonly writableEnded: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: both clients' listeners, typed where they are added
  on(event: string, listener: (...args: any[]) => void): unknown;
}

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

export async function handleExchange(
  svc: ProxyServices,
  arrival: Arrival,
  res: http.ServerResponse,
): Promise<void> {
  const { owner, req, target, via } = arrival;
  const { sandbox } = owner;
  const facts = factsOf(target, req.method ?? 'GET');
  const record = new ExchangeRecord(sandbox, svc.emit, facts, via, owner.records);
  const aborter = new LazyAbort();
  /** How the relay below ends when the client's side closes (set once the request is sent). */
  let onClose: (() => void) | undefined;
  res.once('close', () => {
    if (!res.writableFinished) aborter.abort();
    onClose?.();
  });
  const fail = (verdict: Refused) => {
    record.status = verdict.block.status;
    sendBlock(res, verdict.block);
    record.finish(verdict);
  };

  const coding = transferCodingProblem(req);
  if (coding) {
    return fail(proxyVerdict(sandbox, facts, { status: 400, verdict: 'error', outcome: 'error' }, coding));
  }
  const admission = await admit({ ...arrival, svc, sandbox, facts, aborter });
  if (!admission.ok) return fail(admission.verdict);
  const { verdict, address } = admission;
  /** The verdict the request goes on with (an approval's, when a budget held it). */
  let decided: Allowed = verdict;
  /** The proxy itself refuses what the policy allowed (a body it cannot read or relay). */
  const refusal = (status: 400 | 502, reason: string) => failedAfter(decided, sandbox, facts, status, reason);
  if (aborter.aborted) return record.finish({ ...verdict, outcome: 'error', reason: 'the client went away' });
  record.address = address.address;
  const holds = svc.secrets.holdsPlaceholders(sandbox.identity.sandboxId);
  // A host a granted secret is bound to may echo the value: its answer is searched, so it
  // is asked for uncompressed (a compressed one is decoded in relayRedacted).
  const redactor = holds ? svc.secrets.redactor(facts.host, sandbox.secrets()) : undefined;
  let check: BodyCheck | undefined;
  if (holds) {
    const opened = openBodyCheck(
      svc.secrets.bodyScanner(sandbox.identity.sandboxId, facts.host),
      req.headers['content-encoding'],
    );
    if ('unreadable' in opened) return fail(refusal(400, opened.unreadable));
    check = opened;
  }
  // A compressed body's last chunk waits until all of it was decoded and searched.
  const holdLast = check !== undefined && req.headers['content-encoding'] !== undefined;
  let held: Buffer | undefined;
  const headers = frameBody(req, admission.headers);
  if (redactor) askForSearchableAnswer(headers);
  const mcp = mcpServersOf(sandbox.policy()).serverFor(facts);
  if (mcp) {
    const x = {
      svc,
      arrival,
      res,
      record,
      facts,
      verdict,
      address,
      headers,
      url: admission.url,
      server: mcp,
    };
    return relayMcp({ ...x, check, redactor, signal: aborter.signal, fail, refusal });
  }
  // An npm registry request spec.packages governs: packuments rewritten, tarballs judged.
  const npm = svc.packages?.open(sandbox.policy(), facts);
  if (npm && svc.packages && takesPackagePath(npm)) {
    const body = req.headers['transfer-encoding'] || (req.headers['content-length'] ?? '0') !== '0';
    if (body) return fail(refusal(400, 'a GET to an npm registry carries no body; it is not relayed'));
    const named = namedUpstreamTls(svc, sandbox, facts);
    if ('error' in named) return fail(refusal(502, named.error));
    req.resume();
    const p = {
      ...(named.tls ? { tls: named.tls } : {}),
      svc: { ...svc, packages: svc.packages },
      arrival,
      res,
      record,
      facts,
      verdict,
      address,
      headers,
    };
    return relayPackage({ ...p, url: admission.url, npm, redactor, signal: aborter.signal, fail, refusal });
  }
  // A model API request: a used-up budget answers in the provider's shape; else its answer is metered.
  const spend = svc.spend?.open(sandbox.identity.sandboxId, sandbox.policy(), facts);
  if (spend && 'refusal' in spend) return refuseOverBudget(res, record, spend.refusal);
  if (spend?.hold) {
    const held = await holdOverBudget(svc, sandbox, facts, spend.hold, verdict, aborter.signal);
    if (!held.allowed) return refuseOverBudget(res, record, spend.hold.refusal, held.verdict);
    decided = held.verdict;
  }
  const meter = spend?.meter;
  if (meter) {
    meter.narrow(headers);
    record.usage = () => meter.usage();
  }
  let blocked = false;
  let started: { destroy(): void } | undefined;
  // spec.redact: the body is masked as it streams (and goes chunked), or refused in the provider's shape.
  const redaction = openRequestRedaction(svc, sandbox, facts, req, (error) => {
    if (blocked) return;
    blocked = true;
    started?.destroy();
    if (error instanceof RedactionBlocked) {
      const provider = redaction && 'provider' in redaction ? redaction.provider : 'openai';
      return refuseOverBudget(res, record, redactionRefusal(provider, error.kind));
    }
    fail(refusal(400, error));
  });
  if (redaction && 'unreadable' in redaction) return fail(refusal(400, redaction.unreadable));
  if (redaction) {
    delete headers['content-length'];
    if (declaresBody(req)) headers['transfer-encoding'] = 'chunked';
    record.redactions = () => redaction.counts();
    req.pipe(redaction.input);
  }
  const body: Readable = redaction ? redaction.output : req;
  const named = namedUpstreamTls(svc, sandbox, facts);
  if ('error' in named) {
    record.decide(decided);
    return fail(refusal(502, named.error));
  }
  // HTTP/1.1 goes through the proxy's own client unless the answer is searched or metered,
  // or the policy names the upstream (its own CA and client certificate: Node's agent pools).
  const own = !redactor && !meter && !('tls' in named) && !svc.nodeHttpClient;
  let upstream: UpstreamCall;
  try {
    const request = {
      scheme: upstreamScheme(target),
      host: target.host,
      port: target.port,
      address,
      method: facts.method,
      path: admission.url,
      headers,
    };
    upstream = own ? owner.upstream.raw.request(request) : owner.upstream.request({ ...request, ...named });
  } catch (error) {
    record.decide(decided);
    if (error instanceof UnwritableRequest)
      return fail(refusal(400, `the request cannot be sent: ${error.message}`));
    // Otherwise only a named upstream's client certificate can fail to load here.
    return fail(refusal(502, unloadable(facts, error)));
  }
  started = upstream;
  // Recorded in the turn the request starts, before any byte of the answer can be read: on a
  // kept-alive connection the head is already written, so this work overlaps the upstream's.
  record.decide(decided);

  const stop = (found: Array<{ secret: string; where: string }>) => {
    blocked = true;
    upstream.destroy();
    fail(exfiltrationVerdict(svc, sandbox, facts, found));
  };
  req.on('error', () => upstream.destroy());
  if (!redaction && !check && !declaresBody(req)) {
    // No body (most requests): the request is complete upstream; the client's stream just ends.
    upstream.end();
    req.resume();
  } else relayBody();
  function relayBody(): void {
    body.on('data', (chunk: Buffer) => {
      if (blocked) return;
      if (check) {
        let found: Array<{ secret: string; where: string }>;
        try {
          found = check.push(chunk);
        } catch (error) {
          // Fail closed: a body that cannot be scanned is not forwarded.
          blocked = true;
          upstream.destroy();
          svc.log.error('body scan failed', { error: (error as Error).message });
          res.destroy();
          return;
        }
        if (found.length > 0) return stop(found);
      }
      record.bytesUp += chunk.length;
      const out = holdLast ? held : chunk;
      if (holdLast) held = chunk;
      if (out && !upstream.write(out)) body.pause();
    });
    upstream.on('drain', () => body.resume());
    body.on('end', () => {
      if (blocked) return;
      if (!check) return void upstream.end();
      check.end().then(
        (found) => {
          if (blocked) return;
          if (found.length > 0) return stop(found);
          if (held) upstream.write(held);
          upstream.end();
        },
        (error: Error) => {
          if (blocked) return;
          blocked = true;
          upstream.destroy();
          fail(refusal(400, error.message));
        },
      );
    });
  }

  upstream.on('response', (up: http.IncomingMessage | RawAnswer) => {
    record.status = up.statusCode;
    if (meter && !(up instanceof RawAnswer)) meter.watch(up);
    // An answer that ends before the whole body was sent: the upstream may never read the
    // rest and would take it for requests nobody decided. The rest is not sent, and the
    // connection is closed, not reused; the client's remaining bytes are read and dropped.
    up.once('end', () => {
      if (blocked || upstream.writableEnded) return;
      blocked = true;
      req.resume();
      setImmediate(() => upstream.destroy());
    });
    if (redactor && !(up instanceof RawAnswer)) {
      const report = redactionReporter(svc, sandbox, facts);
      const refused = relayRedacted(up, res, facts, redactor, report, record);
      if (refused) {
        blocked = true;
        upstream.destroy();
        fail(refusal(502, refused));
      }
      return;
    }
    const raw = endToEndRaw(up.rawHeaders);
    res.writeHead(up.statusCode ?? 502, up.statusMessage, raw);
    up.on('data', (chunk: Buffer) => {
      record.bytesDown += chunk.length;
    });
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstream.on('upgrade', (_res, upSocket: Duplex) => {
    // A 101 to a request that offered no upgrade: nothing after it was decided, so it is not relayed.
    upSocket.destroy();
    if (blocked) return;
    blocked = true;
    fail(
      refusal(
        502,
        `${facts.host} switched protocols (101) on a request that asked for no upgrade; it is not relayed`,
      ),
    );
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (blocked) return;
    const reason = upstreamErrorReason(facts, address.address, error, 'tls' in named);
    if (res.headersSent) {
      res.destroy();
      record.finish({ ...decided, outcome: 'error', reason });
      return;
    }
    fail(refusal(502, reason));
  });
  onClose = () => {
    if (!res.writableFinished) upstream.destroy();
    if (meter) void meter.settled().then(() => record.finish(decided));
    else record.finish(decided);
  };
}

export function upstreamErrorReason(
  facts: RequestFacts,
  address: string,
  error: NodeJS.ErrnoException,
  /** The policy names this upstream's CA (spec.network.upstreams): only it was trusted. */
  namedCa = false,
): string {
  const where = `${facts.host}:${facts.port} (${address})`;
  const code = error.code ?? '';
  // OpenSSL's verification codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, …) and Node's.
  const tlsProblem = /^ERR_TLS|CERT|^UNABLE_TO_|SIGNATURE/.test(code);
  if (tlsProblem && namedCa) {
    return `the upstream certificate of ${where} is not signed by the CA the policy names for it (${code}: ${error.message}); the connection was refused: check the cluster's certificate-authority in its kubeconfig and the policy's upstreams entry`;
  }
  if (tlsProblem) {
    return `the upstream certificate of ${where} is not trusted (${code}: ${error.message}); to trust a private CA, add it to the operating system's CA bundle or name its PEM file in WARDEN_UPSTREAM_CA, then restart the daemon (warden doctor lists the stores in use)`;
  }
  if (code === 'ECONNREFUSED') return `could not connect to ${where}: connection refused`;
  if (code === 'ETIMEDOUT') return `could not connect to ${where}: timed out`;
  if (code === 'ECONNRESET') return `the connection to ${where} was reset`;
  return `upstream ${where} failed: ${code || error.message}`;
}
