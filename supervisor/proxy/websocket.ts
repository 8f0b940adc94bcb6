// Upgrade requests are governed like any request: decided on method, host and path, secrets
// checked and injected, then the two sockets are spliced. A WebSocket's frames are read
// when the sandbox holds placeholders; another protocol needs a rule listing it
// (upgrade-offer.ts) and is spliced unread, and the upstream may switch only to what was offered.

import type net from 'node:net';
import { admit, upstreamScheme } from './admit.ts';
import type { Arrival } from './arrival.ts';
import { declaresBody } from './body-framing.ts';
import type { ProxyServices } from './context.ts';
import { failedAfter, proxyVerdict, type Refused, settle, type Verdict } from './decide.ts';
import { upstreamErrorReason } from './exchange.ts';
import { endToEndRawHeaders } from './hop-headers.ts';
import { splice, writeRawBlock } from './raw-socket.ts';
import { ExchangeRecord } from './record.ts';
import { askForSearchableAnswer, redactingTransform, redactionReporter } from './response-redact.ts';
import { exfiltrationVerdict } from './secrets-check.ts';
import { factsOf } from './target.ts';
import { switchRefusal, type UpgradeOffer } from './upgrade-offer.ts';
import { namedUpstreamTls, unloadable } from './upstream-tls.ts';
import { inspectedSplice } from './ws-inspect.ts';

function headLines(statusCode: number, statusMessage: string, raw: string[]): string {
  const lines = [`HTTP/1.1 ${statusCode} ${statusMessage}`];
  for (let i = 0; i < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export async function handleUpgrade(
  svc: ProxyServices,
  arrival: Arrival,
  socket: net.Socket,
  head: Buffer,
  offer: UpgradeOffer,
): Promise<void> {
  const { owner, req, target, via } = arrival;
  const { sandbox } = owner;
  socket.on('error', () => socket.destroy());
  const facts = factsOf(target, req.method ?? 'GET');
  const record = new ExchangeRecord(sandbox, svc.emit, facts, via, owner.records);
  const aborter = new AbortController();
  socket.once('close', () => aborter.abort());
  const fail = (verdict: Refused) => {
    record.status = verdict.block.status;
    record.finish(verdict);
    writeRawBlock(socket, verdict.block);
  };

  if (declaresBody(req)) {
    // A request the policy denies anyway is refused in the policy's words (kubectl's SPDY
    // exec is a POST with a body: "cluster prod-eu is read-only for agents").
    const decision = sandbox.policy().decideRequest(facts);
    if (decision.action === 'deny') {
      const denied = await settle(svc, sandbox, facts, decision, aborter);
      if (!denied.allowed) return fail(denied);
    }
    // A handshake has no body; one declared here would be read upstream from the bytes
    // that follow the handshake, which were never decided.
    const reason =
      'an Upgrade request must not carry a body (Content-Length or Transfer-Encoding): send the handshake alone';
    return fail(proxyVerdict(sandbox, facts, { status: 400, verdict: 'error', outcome: 'error' }, reason));
  }
  const admission = await admit({ ...arrival, svc, sandbox, facts, aborter }, offer);
  if (!admission.ok) return fail(admission.verdict);
  const { verdict, address } = admission;
  if (socket.destroyed)
    return record.finish({ ...verdict, outcome: 'error', reason: 'the client went away' });
  record.address = address.address;
  record.decide(verdict);
  const headers: Record<string, string | string[]> = { ...admission.headers, connection: 'Upgrade' };
  headers.upgrade = offer.protocols.join(', ');
  const settings = req.headers['http2-settings'];
  if (settings !== undefined && offer.protocols.some((p) => p.toLowerCase() === 'h2c')) {
    // An allowed h2c offer keeps its (hop-by-hop) settings, as RFC 7540 §3.2.1 requires.
    headers['http2-settings'] = settings;
    headers.connection = 'Upgrade, HTTP2-Settings';
  }
  // A sandbox holding placeholders gets its frames read both ways (ws-inspect.ts): no
  // compression is offered, and a bound host's answers are asked for uncompressed.
  const holds = svc.secrets.holdsPlaceholders(sandbox.identity.sandboxId);
  if (holds && !offer.websocket) {
    // Only WebSocket frames can be read: another protocol (h2c) would carry the injected
    // value back past redaction, and placeholders out, unread.
    const reason = `an upgrade to ${offer.protocols.join(', ')} is spliced unread, and this sandbox holds secret placeholders whose use Warden must see; send the request without Upgrade (HTTP/1.1), or use a sandbox without secrets`;
    return fail(proxyVerdict(sandbox, facts, { status: 403, verdict: 'denied', outcome: 'denied' }, reason));
  }
  const redactor = holds ? svc.secrets.redactor(facts.host, sandbox.secrets()) : undefined;
  const report = redactionReporter(svc, sandbox, facts);
  if (holds) delete headers['sec-websocket-extensions'];
  if (redactor) askForSearchableAnswer(headers);
  const named = namedUpstreamTls(svc, sandbox, facts);
  if ('error' in named) return fail(failedAfter(verdict, sandbox, facts, 502, named.error));
  let upstream: ReturnType<typeof owner.upstream.request>;
  try {
    upstream = owner.upstream.request({
      scheme: upstreamScheme(target),
      host: target.host,
      port: target.port,
      address,
      method: facts.method,
      path: admission.url,
      headers,
      ...named,
    });
  } catch (error) {
    // Only a named upstream's client certificate can fail to load here.
    return fail(failedAfter(verdict, sandbox, facts, 502, unloadable(facts, error)));
  }
  upstream.on('upgrade', (res, upSocket, upHead) => {
    record.status = res.statusCode;
    const switched = switchRefusal(offer, res.headers.upgrade);
    if (switched) {
      upSocket.destroy();
      return fail(failedAfter(verdict, sandbox, facts, 502, switched));
    }
    const raw = [...res.rawHeaders];
    if (redactor) for (const { secret, header } of redactor.headers(raw)) report(secret, `header:${header}`);
    if (holds && res.headers['sec-websocket-extensions'] !== undefined) {
      upSocket.destroy();
      const reason = `${facts.host} accepted a WebSocket extension that was not offered; it cannot be inspected`;
      return fail(failedAfter(verdict, sandbox, facts, 502, reason));
    }
    socket.write(headLines(res.statusCode ?? 101, res.statusMessage ?? 'Switching Protocols', raw));
    if (holds && offer.websocket) {
      let ending: Verdict = verdict;
      if (upHead.length > 0) upSocket.unshift(upHead);
      if (head.length > 0) socket.unshift(head);
      inspectedSplice(socket, upSocket, record, () => record.finish(ending), {
        scanner: svc.secrets.bodyScanner(sandbox.identity.sandboxId, facts.host),
        redactor,
        report,
        onViolation: (found) => {
          ending = exfiltrationVerdict(svc, sandbox, facts, found);
        },
        onUnreadable: (reason) => {
          ending = { ...verdict, outcome: 'error', reason };
        },
      });
      return;
    }
    if (upHead.length > 0) {
      record.bytesDown += upHead.length;
      socket.write(upHead);
    }
    if (head.length > 0) {
      record.bytesUp += head.length;
      upSocket.write(head);
    }
    splice(socket, upSocket, record, () => record.finish(verdict));
  });
  upstream.on('response', (res) => {
    // The server refused the upgrade: relay its answer and close.
    record.status = res.statusCode;
    const raw = endToEndRawHeaders(res.rawHeaders, res.headers.connection);
    if (redactor) for (const { secret, header } of redactor.headers(raw)) report(secret, `header:${header}`);
    socket.write(headLines(res.statusCode ?? 502, res.statusMessage ?? '', [...raw, 'connection', 'close']));
    res.on('data', (c: Buffer) => {
      record.bytesDown += c.length;
    });
    const encoded =
      /[^\s,]/.test(String(res.headers['content-encoding'] ?? '').replace(/identity/gi, '')) ||
      /[^\s,]/.test(String(res.headers['transfer-encoding'] ?? '').replace(/chunked/gi, ''));
    if (redactor && encoded) {
      // Compressed although identity was asked for: it cannot be searched, so it is not relayed.
      res.destroy();
      socket.destroy();
      return record.finish({
        ...verdict,
        outcome: 'error',
        reason: `${facts.host} sent a compressed refusal`,
      });
    }
    if (redactor) res.pipe(redactingTransform(redactor, (secret) => report(secret, 'body'))).pipe(socket);
    else res.pipe(socket);
    res.on('end', () => record.finish(verdict));
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    const reason = upstreamErrorReason(facts, address.address, error, 'tls' in named);
    fail(failedAfter(verdict, sandbox, facts, 502, reason));
  });
  upstream.end();
}
