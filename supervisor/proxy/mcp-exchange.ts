// An exchange with an MCP server (a request spec.mcp names): the body is read whole (bounded),
// each governed call in it decided (supervisor/mcp), the allowed messages forwarded, the
// refused ones answered with JSON-RPC errors under their own ids (HTTP 200, so the agent
// reads why), and the server's answer rewritten on its way back (denied list entries hidden).

import type http from 'node:http';
import type { McpCallView, RequestFacts } from '../api/index.ts';
import {
  type CallVerdict,
  errorResponse,
  type Governed,
  governRequest,
  MAX_MCP_REQUEST_BYTES,
  type McpAsker,
  type McpServer,
  parseBody,
  RPC,
  shownArguments,
} from '../mcp/index.ts';
import { suggestRule } from '../policy/index.ts';
import { upstreamScheme } from './admit.ts';
import type { Arrival } from './arrival.ts';
import type { BodyCheck } from './body-inspect.ts';
import type { ProxyServices, ResponseRedactor, SandboxContext } from './context.ts';
import type { Allowed, Refused } from './decide.ts';
import { relayAnswer, sendJson } from './mcp-answer.ts';
import type { ExchangeRecord } from './record.ts';
import type { ResolvedAddress } from './resolver.ts';
import { exfiltrationVerdict } from './secrets-check.ts';

export interface McpExchange {
  svc: ProxyServices;
  arrival: Arrival;
  res: http.ServerResponse;
  record: ExchangeRecord;
  facts: RequestFacts;
  verdict: Allowed;
  address: ResolvedAddress;
  /** End-to-end headers for the upstream (framing is set here). */
  headers: Record<string, string | string[]>;
  url: string;
  server: McpServer;
  check?: BodyCheck;
  redactor?: ResponseRedactor;
  signal: AbortSignal;
  fail(verdict: Refused): void;
  refusal(status: 400 | 502, reason: string): Refused;
}

/** The request body, or undefined when it is larger than `limit` or the client went away. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'gone'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', () => resolve('gone'));
    req.once('close', () => resolve('gone'));
  });
}

function sessionOf(req: http.IncomingMessage): string | undefined {
  const v = req.headers['mcp-session-id'];
  return typeof v === 'string' ? v.slice(0, 200) : undefined;
}

function asker(x: McpExchange, mask: (t: string) => string): McpAsker {
  const { svc, facts, server, signal } = x;
  const sandbox = x.arrival.owner.sandbox;
  return async (call, decision): Promise<CallVerdict> => {
    const args = shownArguments(call.arguments, mask);
    const mcp: McpCallView = {
      server: server.name,
      method: call.method,
      name: call.name,
      argumentBytes: call.argumentBytes,
      ...(args === undefined ? {} : { arguments: args }),
    };
    const outcome = await svc.approvals.request({
      identity: sandbox.identity,
      facts,
      reason: decision.reason,
      rule: null,
      suggestedRule: suggestRule(facts),
      timeoutSeconds: sandbox.policy().approvalTimeoutSeconds,
      signal,
      mcp,
      ...(decision.rule?.approver ? { approver: decision.rule.approver } : {}),
    });
    const base = { rule: decision.rule, approvalId: outcome.approvalId, decidedBy: 'approval' as const };
    if (outcome.kind === 'answered') {
      const allowed = outcome.decision === 'allow';
      return {
        ...base,
        allowed,
        outcome: allowed ? 'allowed' : 'denied',
        reason: `${outcome.by} ${allowed ? 'allowed' : 'denied'} it (once)`,
      };
    }
    if (outcome.kind === 'expired') {
      return {
        ...base,
        allowed: false,
        outcome: 'timed_out',
        reason:
          outcome.why ??
          `approval timed out: nobody answered within ${outcome.timeoutSeconds} s (${decision.reason})`,
      };
    }
    return { ...base, allowed: false, outcome: 'error', reason: outcome.reason };
  };
}

function maskFor(redactor: ResponseRedactor | undefined): (t: string) => string {
  if (!redactor) return (t) => t;
  return (t) => {
    const s = redactor.stream(() => {});
    return Buffer.concat([s.push(Buffer.from(t, 'utf8')), s.end()]).toString('utf8');
  };
}

function recordCalls(x: McpExchange, governed: Governed, sandbox: SandboxContext): void {
  const { svc, facts, server, record } = x;
  const sessionId = sessionOf(x.arrival.req);
  for (const { call, verdict } of governed.calls) {
    const args = server.recordArguments ? shownArguments(call.arguments, maskFor(x.redactor)) : undefined;
    svc.emit({
      type: 'mcp.call',
      time: new Date().toISOString(),
      sandboxId: sandbox.identity.sandboxId,
      user: sandbox.identity.user,
      requestId: record.id,
      server: server.name,
      host: facts.host,
      port: facts.port,
      path: facts.path,
      method: call.method,
      name: call.name,
      callId: String(call.callId).slice(0, 200),
      ...(sessionId ? { sessionId } : {}),
      outcome: verdict.outcome,
      rule: verdict.rule,
      reason: verdict.reason,
      decidedBy: verdict.decidedBy,
      ...(verdict.approvalId ? { approvalId: verdict.approvalId } : {}),
      argumentBytes: call.argumentBytes,
      ...(args === undefined ? {} : { arguments: args }),
    });
  }
}

export async function relayMcp(x: McpExchange): Promise<void> {
  const { svc, arrival, res, record, facts, verdict } = x;
  const { owner, req } = arrival;
  const sandbox = owner.sandbox;
  const refuseRpc = (status: number, code: number, message: string) => {
    record.status = status;
    sendJson(res, status, errorResponse(null, code, message));
    record.finish({ outcome: 'denied', rule: null, reason: message, decidedBy: 'proxy' });
  };
  const coding = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (coding !== 'identity' && coding !== '') {
    return refuseRpc(
      400,
      RPC.invalidRequest,
      'the request body to an MCP server is compressed; Warden reads MCP bodies only uncompressed',
    );
  }
  const body = await readBody(req, MAX_MCP_REQUEST_BYTES);
  if (body === 'gone') return record.finish({ ...verdict, outcome: 'error', reason: 'the client went away' });
  if (body === 'too-large') {
    return refuseRpc(
      413,
      RPC.invalidRequest,
      `the request body is larger than ${MAX_MCP_REQUEST_BYTES} bytes, which Warden reads to govern MCP calls`,
    );
  }
  if (x.check) {
    let found: Array<{ secret: string; where: string }>;
    try {
      found = [...x.check.push(body), ...(await x.check.end())];
    } catch (error) {
      return x.fail(x.refusal(400, (error as Error).message));
    }
    if (found.length > 0) return x.fail(exfiltrationVerdict(svc, sandbox, facts, found));
  }
  let governed: Governed = { forward: [], refusals: [], calls: [] };
  let batch = false;
  const post = facts.method.toUpperCase() === 'POST';
  if (post) {
    const parsed = parseBody(body);
    if (!parsed.ok) return refuseRpc(parsed.status, parsed.code, parsed.message);
    batch = parsed.batch;
    governed = await governRequest(x.server, parsed.messages, asker(x, maskFor(x.redactor)));
    recordCalls(x, governed, sandbox);
    if (x.signal.aborted)
      return record.finish({ ...verdict, outcome: 'error', reason: 'the client went away' });
    if (governed.forward.length === 0) {
      record.status = 200;
      sendJson(res, 200, batch ? governed.refusals : governed.refusals[0]);
      const reason = `every MCP call in it was refused (${governed.calls.map((c) => c.call.name).join(', ')})`;
      return record.finish({ ...verdict, outcome: 'denied', reason });
    }
  } else if (body.length > 0) {
    return refuseRpc(400, RPC.invalidRequest, `a ${facts.method} to an MCP endpoint carries no body`);
  }
  const out = post
    ? Buffer.from(JSON.stringify(batch ? governed.forward : governed.forward[0]), 'utf8')
    : body;
  const headers = x.headers;
  delete headers['transfer-encoding'];
  delete headers['content-encoding'];
  headers['content-length'] = String(out.length);
  headers['accept-encoding'] = 'identity';
  record.decide(verdict);
  record.bytesUp += out.length;
  const upstream = owner.upstream.request({
    scheme: upstreamScheme(arrival.target),
    host: arrival.target.host,
    port: arrival.target.port,
    address: x.address,
    method: facts.method,
    path: x.url,
    headers,
  });
  upstream.end(out);
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
    record.finish(verdict);
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    const reason = `upstream ${facts.host}:${facts.port} failed: ${error.code ?? error.message}`;
    if (res.headersSent) {
      res.destroy();
      return record.finish({ ...verdict, outcome: 'error', reason });
    }
    x.fail(x.refusal(502, reason));
  });
  upstream.on('response', (up) => relayAnswer(x, up, governed.refusals, batch));
}
