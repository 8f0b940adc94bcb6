// A bare forward proxy on Node's own http server and client (no policy, no audit, no
// secrets): the floor of what Node's HTTP machinery costs per forwarded request, measured
// beside Warden and squid in `--only=peers` (not graded). If Warden's added latency sits
// well above this floor, the time is in Warden's own path, not in Node's parser and
// streams (issue 17). Run: node --import tsx test/bench/node-floor-proxy.ts PORT

import http from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: 'lifo' });

const server = http.createServer((req, res) => {
  let url: URL;
  try {
    url = new URL(req.url ?? '');
  } catch {
    res.writeHead(400).end();
    return;
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
  const up = http.request({
    host: url.hostname,
    port: url.port || 80,
    method: req.method,
    path: `${url.pathname}${url.search}`,
    headers,
    agent,
    setHost: false,
  });
  up.on('response', (answer) => {
    const raw: string[] = [];
    for (let i = 0; i < answer.rawHeaders.length; i += 2)
      if (!HOP_BY_HOP.has(answer.rawHeaders[i]!.toLowerCase()))
        raw.push(answer.rawHeaders[i]!, answer.rawHeaders[i + 1]!);
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, raw);
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  up.on('error', () => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502).end();
  });
  req.on('error', () => up.destroy());
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
});
server.on('clientError', (_error, socket) => socket.destroy());
server.listen(Number(process.argv[2]), '127.0.0.1');
