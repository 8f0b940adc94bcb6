// The answer of an MCP server on its way to the agent: a JSON answer read whole (bounded) and
// an event stream read event by event, both with denied list entries taken out and the
// JSON-RPC errors of refused calls added; an HTTP error relayed as it is; anything else cut.
// Real secret values bound to the host are redacted in what is sent on.

import type http from 'node:http';
import {
  AnswerError,
  answerKind,
  JsonAnswer,
  type JsonRpcMessage,
  type McpServer,
  SseAnswer,
} from '../mcp/index.ts';
import type { ResponseRedactor } from './context.ts';
import type { Allowed, Refused } from './decide.ts';
import { endToEndRawHeaders } from './hop-headers.ts';
import type { ExchangeRecord } from './record.ts';

/** What relaying an answer needs of its exchange. */
export interface AnswerContext {
  res: http.ServerResponse;
  record: ExchangeRecord;
  verdict: Allowed;
  server: McpServer;
  redactor?: ResponseRedactor;
  fail(verdict: Refused): void;
  refusal(status: 400 | 502, reason: string): Refused;
}

/** A JSON answer Warden makes itself (a refusal, or the errors of refused calls). */
export function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-warden-decision': 'mcp',
  });
  res.end(body);
}

/** The server's answer to the agent: rewritten when it is JSON or an event stream. */
export function relayAnswer(
  x: AnswerContext,
  up: http.IncomingMessage,
  refusals: JsonRpcMessage[],
  batch: boolean,
): void {
  const { res, record } = x;
  const status = up.statusCode ?? 502;
  record.status = status;
  const kind = answerKind(up.headers['content-type']);
  const encoding = String(up.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  const cut = (reason: string) => {
    up.destroy();
    if (!res.headersSent) return x.fail(x.refusal(502, reason));
    res.destroy();
    record.finish({ ...x.verdict, outcome: 'error', reason });
  };
  up.on('data', (c: Buffer) => {
    record.bytesDown += c.length;
  });
  if (encoding !== 'identity' && encoding !== '') {
    return cut(
      `the MCP server answered compressed (${encoding.slice(0, 40)}) though asked for identity; Warden reads MCP answers only uncompressed`,
    );
  }
  const redact = x.redactor?.stream(() => {});
  const send = (b: Buffer) => (redact ? redact.push(b) : b);
  const flush = () => (redact ? redact.end() : Buffer.alloc(0));
  let raw = endToEndRawHeaders(up.rawHeaders, up.headers.connection).filter((_, i, all) => {
    const name = (all[i - (i % 2)] as string).toLowerCase();
    return name !== 'content-length' && name !== 'content-encoding';
  });
  if (status === 202 && refusals.length > 0) {
    // The server had nothing to say (only notifications went): the agent still gets its errors.
    up.resume();
    return sendJson(res, 200, batch ? refusals : refusals[0]);
  }
  if (kind === 'sse') {
    const answer = new SseAnswer(x.server, refusals);
    res.writeHead(status, up.statusMessage, raw);
    // The agent learns at once that its stream is open (a GET stream may stay silent long).
    res.flushHeaders();
    up.on('data', (chunk: Buffer) => {
      let outb: Buffer;
      try {
        outb = answer.push(chunk);
      } catch (error) {
        return cut((error as Error).message);
      }
      if (outb.length > 0 && !res.write(send(outb))) up.pause();
    });
    res.on('drain', () => up.resume());
    up.once('end', () => res.end(Buffer.concat([send(answer.end()), flush()])));
    up.once('error', () => res.destroy());
    return;
  }
  if (kind === 'json') {
    const answer = new JsonAnswer(x.server, refusals, batch);
    let failed = false;
    up.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        answer.push(chunk);
      } catch (error) {
        failed = true;
        cut((error as Error).message);
      }
    });
    up.once('end', () => {
      if (failed) return;
      let body: Buffer;
      try {
        body = Buffer.concat([send(answer.end()), flush()]);
      } catch (error) {
        return cut(error instanceof AnswerError ? error.message : 'the MCP server answer could not be read');
      }
      raw = [...raw, 'content-length', String(body.length)];
      res.writeHead(status, up.statusMessage, raw);
      res.end(body);
    });
    up.once('error', () => res.destroy());
    return;
  }
  if (status >= 200 && status < 300 && status !== 204 && status !== 202) {
    return cut(
      `the MCP server answered ${status} with "${String(up.headers['content-type'] ?? 'no type').slice(0, 60)}", neither JSON nor an event stream`,
    );
  }
  // An HTTP error or an empty answer: relayed as it is (no list in it to filter).
  res.writeHead(status, up.statusMessage, raw);
  up.on('data', (chunk: Buffer) => {
    if (!res.write(send(chunk))) up.pause();
  });
  res.on('drain', () => up.resume());
  up.once('end', () => res.end(flush()));
  up.once('error', () => res.destroy());
}
