// A stand-in for the model providers' APIs as far as spend is concerned, on loopback HTTPS
// with a test CA's certificate, following the published formats: Anthropic Messages
// (POST /v1/messages; SSE message_start … message_delta, message_stop), OpenAI Chat
// Completions (POST /v1/chat/completions; SSE `data:` chunks, the usage chunk when
// `stream_options.include_usage`, then `data: [DONE]`) and OpenAI Responses
// (POST /v1/responses; SSE … response.completed). Each API reports its own fixed usage
// (USAGE) so a test can tell them apart. `mode` changes how the next answers go: `cut`
// sends the start of a stream and then resets the connection; `gzip` compresses answers
// even though the request asked for identity; `bad-gzip` says gzip and is not.

import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import zlib from 'node:zlib';
import type { CertificateAuthority } from '../../supervisor/ca/index.ts';

export const USAGE = {
  anthropic: {
    input_tokens: 120,
    output_tokens: 45,
    cache_read_input_tokens: 30,
    cache_creation_input_tokens: 10,
  },
  chat: {
    prompt_tokens: 200,
    completion_tokens: 60,
    total_tokens: 260,
    prompt_tokens_details: { cached_tokens: 50 },
  },
  responses: {
    input_tokens: 300,
    input_tokens_details: { cached_tokens: 100 },
    output_tokens: 70,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 370,
  },
};

export interface SpendStub {
  port: number;
  mode: 'normal' | 'cut' | 'gzip' | 'bad-gzip';
  /** The accept-encoding of each request, in order. */
  acceptEncodings: Array<string | undefined>;
  /** Each request body as received (decoded when it had a Content-Encoding), in order. */
  bodies: Buffer[];
  close(): Promise<void>;
}

type Send = { head(type: string): void; write(text: string): void; end(text?: string): void; cut(): void };

function sender(res: http.ServerResponse, gzip: boolean): Send {
  const z = gzip ? zlib.createGzip({ flush: zlib.constants.Z_SYNC_FLUSH }) : undefined;
  if (z) z.pipe(res);
  return {
    head: (type) =>
      res.writeHead(200, { 'content-type': type, ...(gzip ? { 'content-encoding': 'gzip' } : {}) }),
    write: (text) => (z ? z.write(text) : res.write(text)),
    end: (text) => (z ? z.end(text) : res.end(text)),
    cut: () => setTimeout(() => res.socket?.destroy(), 50),
  };
}

const event = (name: string | undefined, data: unknown) =>
  `${name ? `event: ${name}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

function anthropic(body: Record<string, unknown>, s: Send, cut: boolean): void {
  const model = String(body.model);
  const message = { id: 'msg_1', type: 'message', role: 'assistant', model, stop_sequence: null };
  if (body.stream !== true) {
    s.head('application/json');
    const content = [{ type: 'text', text: 'hello' }];
    return s.end(JSON.stringify({ ...message, content, stop_reason: 'end_turn', usage: USAGE.anthropic }));
  }
  s.head('text/event-stream');
  const start = {
    ...message,
    content: [],
    stop_reason: null,
    usage: { ...USAGE.anthropic, output_tokens: 1 },
  };
  s.write(event('message_start', { type: 'message_start', message: start }));
  s.write(
    event('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    }),
  );
  s.write(
    event('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'hel' },
    }),
  );
  if (cut) return s.cut();
  s.write(event('content_block_stop', { type: 'content_block_stop', index: 0 }));
  const delta = { stop_reason: 'end_turn', stop_sequence: null };
  s.write(
    event('message_delta', {
      type: 'message_delta',
      delta,
      usage: { output_tokens: USAGE.anthropic.output_tokens },
    }),
  );
  s.end(event('message_stop', { type: 'message_stop' }));
}

function chat(body: Record<string, unknown>, s: Send, cut: boolean): void {
  const model = String(body.model);
  const base = { id: 'chatcmpl-1', created: 1, model, system_fingerprint: 'fp_stub' };
  if (body.stream !== true) {
    s.head('application/json');
    const choice = {
      index: 0,
      message: { role: 'assistant', content: 'hello', refusal: null },
      finish_reason: 'stop',
      logprobs: null,
    };
    return s.end(
      JSON.stringify({ ...base, object: 'chat.completion', choices: [choice], usage: USAGE.chat }),
    );
  }
  const withUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const chunk = (choices: unknown[], usage: unknown) =>
    event(undefined, { ...base, object: 'chat.completion.chunk', choices, ...(withUsage ? { usage } : {}) });
  s.head('text/event-stream');
  s.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }], null));
  s.write(chunk([{ index: 0, delta: { content: 'hello' }, finish_reason: null }], null));
  if (cut) return s.cut();
  s.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }], null));
  if (withUsage) s.write(chunk([], USAGE.chat));
  s.end(event(undefined, '[DONE]'));
}

function responses(body: Record<string, unknown>, s: Send, cut: boolean): void {
  const model = String(body.model);
  const part = { type: 'output_text', text: 'hello', annotations: [] };
  const item = { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [part] };
  const response = (status: string, output: unknown[]) => ({
    id: 'resp_1',
    object: 'response',
    created_at: 1,
    status,
    model,
    output,
    usage: status === 'completed' ? USAGE.responses : null,
  });
  if (body.stream !== true) {
    s.head('application/json');
    return s.end(JSON.stringify(response('completed', [item])));
  }
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) =>
    event(type, { type, sequence_number: seq++, ...data });
  s.head('text/event-stream');
  s.write(ev('response.created', { response: response('in_progress', []) }));
  s.write(
    ev('response.output_item.added', {
      output_index: 0,
      item: { ...item, status: 'in_progress', content: [] },
    }),
  );
  s.write(
    ev('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'hello' }),
  );
  if (cut) return s.cut();
  s.write(ev('response.output_item.done', { output_index: 0, item }));
  s.end(ev('response.completed', { response: response('completed', [item]) }));
}

export function startSpendStub(ca: CertificateAuthority): Promise<SpendStub> {
  const stub: SpendStub = { port: 0, mode: 'normal', acceptEncodings: [], bodies: [], close: async () => {} };
  const server = https.createServer(
    {
      SNICallback: (name, cb) => {
        ca.secureContextFor(name || '127.0.0.1').then(
          (ctx) => cb(null, ctx),
          (err: Error) => cb(err),
        );
      },
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        stub.acceptEncodings.push(req.headers['accept-encoding']);
        let raw = Buffer.concat(chunks);
        const coding = req.headers['content-encoding'];
        try {
          if (coding === 'gzip') raw = zlib.gunzipSync(raw);
          else if (coding === 'deflate') raw = zlib.inflateSync(raw);
          else if (coding === 'br') raw = zlib.brotliDecompressSync(raw);
        } catch {}
        stub.bodies.push(raw);
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw.toString()) as Record<string, unknown>;
        } catch {}
        if (stub.mode === 'bad-gzip') {
          // Says gzip, is not: the relay passes it on as sent, the meter cannot read it.
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          return res.end('{"usage":{"input_tokens":999999}} not gzip at all');
        }
        const s = sender(res, stub.mode === 'gzip');
        const cut = stub.mode === 'cut';
        const path = (req.url ?? '').split('?')[0];
        if (path === '/v1/messages') return anthropic(body, s, cut);
        if (path === '/v1/chat/completions') return chat(body, s, cut);
        if (path === '/v1/responses') return responses(body, s, cut);
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no ${req.url}`, type: 'invalid_request_error' } }));
      });
    },
  );
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      stub.port = (server.address() as net.AddressInfo).port;
      stub.close = () =>
        new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        });
      resolve(stub);
    });
  });
}
