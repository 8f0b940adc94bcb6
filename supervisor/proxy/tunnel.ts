// CONNECT: decide at the host level when the policy can, and splice the tunnel unread;
// otherwise (a rule needs the method or path, a secret may be sent, or the request is
// denied and the client should read why) terminate TLS and decide each request inside.

import type http from 'node:http';
import type net from 'node:net';
import type { RequestFacts } from '../api/index.ts';
import { mcpServersOf } from '../mcp/index.ts';
import { npmRulesOf } from '../packages/index.ts';
import type { ConnectionOwner, ProxyServices } from './context.ts';
import { type Refused, settle, unavailable, vetAddress } from './decide.ts';
import { watchHeldClient } from './held-client.ts';
import type { Interceptor } from './intercept.ts';
import { LazyAbort } from './lazy-abort.ts';
import { splice, writeRawBlock } from './raw-socket.ts';
import { ExchangeRecord } from './record.ts';
import { parseAuthority, TargetError } from './target.ts';
import { classifyTunnelStart } from './tunnel-start.ts';

export async function handleConnect(
  svc: ProxyServices,
  owner: ConnectionOwner,
  interceptor: Interceptor,
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Buffer,
): Promise<void> {
  const { sandbox } = owner;
  socket.on('error', () => socket.destroy());
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseAuthority(req.url ?? ''));
  } catch (error) {
    const reason = error instanceof TargetError ? error.message : 'malformed CONNECT request';
    writeRawBlock(socket, { status: 400, verdict: 'error', reason, identity: sandbox.identity });
    return;
  }
  const facts: RequestFacts = { scheme: 'https', host, port, method: 'CONNECT', path: '' };
  const aborter = new LazyAbort();
  socket.once('close', () => aborter.abort());

  /** What the client sent after its CONNECT: `head`, and what came while a human decided. */
  let first = head;
  const deny = (verdict: Refused) => {
    new ExchangeRecord(sandbox, svc.emit, facts, 'connect').finish(verdict);
    // Show the client why, inside the tunnel it asked for, when it speaks TLS or HTTP.
    interceptor.attach(socket, first, { host, port, owner }, { deny: verdict.block });
  };

  const gate = svc.gate();
  if (gate) return deny(unavailable(sandbox, facts, gate));

  const policy = sandbox.policy();
  const decision = policy.decideConnect(host, port);
  // An upstream the policy names (its own CA, a client certificate) is only reached by the
  // proxy's own TLS: its tunnels are read, never spliced (a denial is shown inside too).
  if (!('needsRequest' in decision) && decision.action !== 'deny' && policy.upstreamFor(host, port))
    return interceptor.attach(socket, head, { host, port, owner }, 'inspect');
  if ('needsRequest' in decision) return interceptor.attach(socket, head, { host, port, owner }, 'inspect');
  if (decision.action !== 'deny' && mcpServersOf(policy).namesHost(host, port)) {
    // spec.mcp names this host: its calls are governed only when the tunnel is read, so a
    // passthrough rule does not leave them unread.
    return interceptor.attach(socket, head, { host, port, owner }, 'inspect');
  }
  const npm = npmRulesOf(policy);
  if (
    decision.action !== 'deny' &&
    (svc.redaction?.covers(policy, host) || (npm.present && npm.isRegistry(host, port)))
  ) {
    // spec.redact covers this model API host (its request bodies are read, whatever the rule's
    // tls), or spec.packages.npm names this registry (its packuments and tarballs are read).
    return interceptor.attach(socket, head, { host, port, owner }, 'inspect');
  }
  if (
    decision.action !== 'deny' &&
    decision.tls !== 'passthrough' &&
    svc.secrets.holdsPlaceholders(sandbox.identity.sandboxId)
  ) {
    // This sandbox holds secret placeholders: every tunnel it opens is read, so a
    // placeholder can be swapped on bound hosts and stopped everywhere else.
    return interceptor.attach(socket, head, { host, port, owner }, 'inspect');
  }
  if (decision.tls === 'inspect' && decision.action !== 'deny') {
    return interceptor.attach(socket, head, { host, port, owner }, 'inspect');
  }

  // A human decides (possibly for minutes): a client that hangs up meanwhile ends the wait.
  const watch = decision.action === 'ask' ? watchHeldClient(socket, () => socket.destroy()) : undefined;
  const decided = () => {
    if (watch) first = Buffer.concat([first, watch.release()]);
  };
  const verdict = await settle(svc, sandbox, facts, decision, aborter);
  if (!verdict.allowed) {
    decided();
    return deny(verdict);
  }
  const vetted = await vetAddress(svc, sandbox, facts, aborter, verdict);
  decided();
  // A rule names the address for some methods or paths only: read the tunnel and decide each request.
  if ('needsRequest' in vetted) return interceptor.attach(socket, first, { host, port, owner }, 'inspect');
  if (!vetted.ok) return deny(vetted.verdict);
  if (socket.destroyed) return;

  const record = new ExchangeRecord(sandbox, svc.emit, facts, 'connect', owner.records);
  record.address = vetted.address.address;
  record.decide(verdict);
  const relayed = owner.upstream.connectRelayed(vetted.address, port);
  const upstream = relayed.socket;
  upstream.once('connect', () => {
    socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    record.status = 200;
    // What the server says first reaches the client at once (SSH, SMTP banners), from
    // here on; what the client says is held until it shows it is not plain HTTP.
    relayed.relayTo(socket);
    if (decision.tls === 'passthrough') return spliceFrom(first);
    const gone = () => {
      socket.destroy();
      upstream.destroy();
      record.bytesDown += upstream.bytesRead;
      record.finish(verdict);
    };
    let held = first;
    const settleStart = (): boolean => {
      const kind = classifyTunnelStart(held);
      if (kind === 'more') return false;
      socket.off('data', more);
      socket.off('close', gone);
      upstream.off('close', gone);
      if (kind === 'other') {
        spliceFrom(held);
        return true;
      }
      // Plain HTTP inside a tunnel decided as https: read it, and decide each request as http.
      upstream.destroy();
      record.bytesDown += upstream.bytesRead;
      record.finish({
        ...verdict,
        reason: 'plain HTTP inside the tunnel: each request is decided on its own',
      });
      interceptor.readAnswered(socket, held, { host, port, owner }, 'inspect');
      return true;
    };
    const more = (c: Buffer) => {
      held = Buffer.concat([held, c]);
      settleStart();
    };
    if (held.length > 0 && settleStart()) return;
    upstream.once('close', gone);
    socket.once('close', gone);
    socket.on('data', more);
  });
  const spliceFrom = (first: Buffer) => {
    if (first.length > 0) {
      record.bytesUp += first.length;
      upstream.write(first);
    }
    // What the upstream sent before the splice (a banner) was relayed already: counted here.
    record.bytesDown += upstream.bytesRead;
    splice(socket, upstream, record, () => record.finish(verdict), { upstreamRelayed: true });
  };
  upstream.once('error', (error: NodeJS.ErrnoException) => {
    if (record.status === 200) return;
    const reason = `could not connect to ${host}:${port} (${vetted.address.address}): ${error.code ?? error.message}`;
    record.status = 502;
    record.finish({ ...verdict, outcome: 'error', reason });
    writeRawBlock(socket, { status: 502, verdict: 'error', reason, identity: sandbox.identity, facts });
  });
}
