// Stand-ins for the model providers' APIs (which cannot be reached from a test), following
// their published formats, on loopback HTTPS with a test CA's certificate (Warden injects
// secrets only into HTTPS requests): Anthropic's Messages API
// (POST /v1/messages; with `stream: true` the SSE events message_start,
// content_block_start, content_block_delta/text_delta, content_block_stop, message_delta,
// message_stop) and OpenAI's Responses API (POST /v1/responses; with `stream: true` the SSE
// events response.created, response.output_item.added, response.content_part.added,
// response.output_text.delta, response.output_text.done, response.content_part.done,
// response.output_item.done, response.completed). Each records what it got, including the
// credential, and answers ANSWER, so a test can check the real key arrived (injected by the
// proxy) and the agent printed the stub's words.

import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { CertificateAuthority } from '../../supervisor/ca/index.ts';

export interface StubRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ModelStub {
  port: number;
  received: StubRequest[];
  close(): Promise<void>;
}

const sse = (res: http.ServerResponse, event: string, data: unknown) =>
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

function listen(
  ca: CertificateAuthority,
  handle: (req: StubRequest, res: http.ServerResponse) => void,
): Promise<ModelStub> {
  const received: StubRequest[] = [];
  const tls = {
    SNICallback: (name: string, cb: (err: Error | null, ctx?: import('node:tls').SecureContext) => void) => {
      ca.secureContextFor(name || '127.0.0.1').then(
        (ctx) => cb(null, ctx),
        (err: Error) => cb(err),
      );
    },
  };
  const server = https.createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(r);
      handle(r, res);
    });
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        received,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function parse(body: string): Record<string, unknown> {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Anthropic's Messages API: every message is answered with ANSWER (401 without KEY in x-api-key). */
export function startAnthropicStub(
  ca: CertificateAuthority,
  key: string,
  answer: string,
): Promise<ModelStub> {
  return listen(ca, (req, res) => {
    if (req.headers['x-api-key'] !== key) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          type: 'error',
          error: { type: 'authentication_error', message: 'invalid x-api-key' },
        }),
      );
      return;
    }
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ input_tokens: 10 }));
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/messages') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `no ${req.url}` } }),
      );
      return;
    }
    const body = parse(req.body);
    const model = typeof body.model === 'string' ? body.model : 'claude-stub';
    const id = `msg_stub${received(req)}`;
    const usage = {
      input_tokens: 10,
      output_tokens: 5,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${id}` });
      res.end(
        JSON.stringify({
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [{ type: 'text', text: answer }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'request-id': `req_${id}`,
    });
    sse(res, 'message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    });
    sse(res, 'content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    sse(res, 'ping', { type: 'ping' });
    sse(res, 'content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: answer },
    });
    sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
    sse(res, 'message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 5 },
    });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  });
}

let counter = 0;
function received(_req: StubRequest): number {
  return ++counter;
}

/** OpenAI's Responses API: every response is ANSWER (401 without `Authorization: Bearer KEY`). */
export function startOpenAiStub(ca: CertificateAuthority, key: string, answer: string): Promise<ModelStub> {
  return listen(ca, (req, res) => {
    if (req.headers.authorization !== `Bearer ${key}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: 'Incorrect API key provided',
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        }),
      );
      return;
    }
    const path = req.url.split('?')[0];
    if (path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [] }));
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/responses') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no ${req.url}`, type: 'invalid_request_error' } }));
      return;
    }
    const body = parse(req.body);
    const model = typeof body.model === 'string' ? body.model : 'gpt-stub';
    const n = received(req);
    const id = `resp_stub${n}`;
    const itemId = `msg_stub${n}`;
    const created = Math.floor(Date.now() / 1000);
    const part = { type: 'output_text', text: answer, annotations: [] };
    const item = { id: itemId, type: 'message', status: 'completed', role: 'assistant', content: [part] };
    const usage = {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 15,
    };
    const response = (status: string, output: unknown[]) => ({
      id,
      object: 'response',
      created_at: created,
      status,
      model,
      output,
      usage: status === 'completed' ? usage : null,
    });
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(response('completed', [item])));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let seq = 0;
    const ev = (type: string, data: Record<string, unknown>) =>
      sse(res, type, { type, sequence_number: seq++, ...data });
    ev('response.created', { response: response('in_progress', []) });
    ev('response.in_progress', { response: response('in_progress', []) });
    ev('response.output_item.added', {
      output_index: 0,
      item: { ...item, status: 'in_progress', content: [] },
    });
    ev('response.content_part.added', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { ...part, text: '' },
    });
    ev('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta: answer });
    ev('response.output_text.done', { item_id: itemId, output_index: 0, content_index: 0, text: answer });
    ev('response.content_part.done', { item_id: itemId, output_index: 0, content_index: 0, part });
    ev('response.output_item.done', { output_index: 0, item });
    ev('response.completed', { response: response('completed', [item]) });
    res.end();
  });
}
