// Proxy benchmarks: the real daemon (the bundled `warden daemon`, in its own process),
// loopback HTTP/HTTPS upstreams (in this process) and a load generator (test/bench/load.ts,
// a forked child), so generating load never runs on the proxy's event loop. Every proxied
// figure has a direct baseline measured in the same run. When squid or mitmproxy are on
// PATH they are measured the same way, side by side.
// Run alone: node --import tsx test/bench/proxy.ts

import { type ChildProcess, fork, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../supervisor/api/client.ts';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import type { DownloadResult, HoldResult, Job, LatencyResult, ThroughputResult, Via } from './load.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

// ---------------------------------------------------------------------------------------
// Figures

export interface Goal {
  op: '<=' | '>=';
  target: number;
  /** What the goal is checked on: the figure itself, or its ratio to the direct baseline. */
  on: 'value' | 'ratio';
}

export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  goal?: Goal;
  /** The same measurement without the proxy, in the same run (same unit as `direct`). */
  direct?: number;
  directUnit?: string;
  /** Proxied ÷ direct. */
  ratio?: number;
  note?: string;
  /** A figure that is not a number (e.g. which accelerator a VM used); `value` is NaN. */
  text?: string;
}

export function meetsGoal(f: Figure): boolean | undefined {
  if (!f.goal) return undefined;
  const v = f.goal.on === 'ratio' ? f.ratio : f.value;
  if (v === undefined || !Number.isFinite(v)) return false;
  return f.goal.op === '<=' ? v <= f.goal.target : v >= f.goal.target;
}

export interface ProxyBenchOptions {
  /** Sequential plain-HTTP requests timed after warm-up. */
  latencyCount?: number;
  /** Size of the tunnel download. */
  downloadBytes?: number;
  downloadRuns?: number;
  /** Intercepted HTTPS: duration of the 16-connection run. */
  interceptMs?: number;
  /** Duration of the baselines and peer runs of the same shape. */
  shortMs?: number;
  holdConnections?: number;
  /** Duration of each peer rate run (and of the direct run paired with it). */
  peerMs?: number;
  /** Progress lines (to stderr by default). */
  log?: (line: string) => void;
  /** Measure squid/mitmproxy when found on PATH (default true). */
  peers?: boolean;
}

const BODY_100K = 100 * 1024;
const PEERS = 'peers (for comparison, not graded)';

// ---------------------------------------------------------------------------------------
// Loopback upstreams: lean servers answering `/small` (2 bytes) and `/bytes/N` from
// cached buffers, so the upstream costs the same for every client.

export interface BenchUpstreams {
  httpPort: number;
  httpsPort: number;
  caFile: string;
  caPem: string;
  close(): Promise<void>;
}

export async function startBenchUpstreams(): Promise<BenchUpstreams> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-bench-upstream-'));
  const ca = await CertificateAuthority.loadOrCreate(dir);
  const secureContext = await ca.secureContextFor('127.0.0.1');
  const bodies = new Map<number, Buffer>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const m = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
      let body: Buffer;
      if (m) {
        const n = Math.min(Number(m[1]), 512 * 1024 * 1024);
        body = bodies.get(n) ?? Buffer.alloc(n, 120);
        bodies.set(n, body);
      } else body = Buffer.from('ok');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
  };
  const options = { keepAliveTimeout: 60_000, headersTimeout: 60_000, requestTimeout: 0 };
  const plain = http.createServer(options, handler);
  // HTTPS by hand: clients connecting to an IP send no SNI, and an https.Server has no
  // way to take a ready SecureContext as its default, so TLS is terminated per socket.
  const secureHttp = http.createServer(options, handler);
  const secure = net.createServer((socket) => {
    const tlsSocket = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext,
      ALPNProtocols: ['http/1.1'],
    });
    tlsSocket.on('error', () => tlsSocket.destroy());
    secureHttp.emit('connection', tlsSocket);
  });
  const listen = (s: net.Server) =>
    new Promise<number>((resolve) =>
      s.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () =>
        resolve((s.address() as net.AddressInfo).port),
      ),
    );
  const httpPort = await listen(plain);
  const httpsPort = await listen(secure);
  return {
    httpPort,
    httpsPort,
    caFile: ca.certPath,
    caPem: ca.certPem,
    async close() {
      plain.closeAllConnections();
      secureHttp.closeAllConnections();
      await Promise.all([plain, secure].map((s) => new Promise((r) => s.close(r))));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------
// The daemon, in its own process

export interface BenchDaemon {
  pid: number;
  client: ApiClient;
  caPem: string;
  /** A governed listener with this project policy; returns its proxy URL and port. */
  listener(label: string, rules: string): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
  output(): string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start `warden daemon` from `entry` (default: the bundle, else the sources through tsx). */
export async function startBenchDaemon(upstreamCaFile: string, entry?: string): Promise<BenchDaemon> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'warden-bench-home-'));
  const bundle = entry ?? path.join(root, 'dist/warden.mjs');
  // WARDEN_BENCH_DAEMON_FLAGS adds node flags to the daemon (e.g. --cpu-prof to profile it).
  const flags = (process.env.WARDEN_BENCH_DAEMON_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const args = existsSync(bundle)
    ? [...flags, bundle, 'daemon']
    : [...flags, '--import', 'tsx', path.join(root, 'supervisor/cli/main.ts'), 'daemon'];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, WARDEN_HOME: home, WARDEN_UPSTREAM_CA: upstreamCaFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (c: Buffer) => {
    output = (output + c.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const socket = path.join(home, 'warden.sock');
  const tokenFile = path.join(home, 'token');
  let client: ApiClient | undefined;
  let pid = 0;
  let caCertPath = '';
  const deadline = Date.now() + 20_000;
  while (!client) {
    if (exited) throw new Error(`the daemon exited during start:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the daemon did not start within 20 s:\n${output}`);
    }
    try {
      const c = await ApiClient.fromFiles(socket, tokenFile);
      const status = await c.call('GET /v1/status', { timeoutMs: 2000 });
      pid = status.pid;
      caCertPath = status.ca.certPath;
      client = c;
    } catch {
      await sleep(100);
    }
  }
  const ready = client;
  const caPem = readFileSync(caCertPath, 'utf8');
  return {
    pid,
    client: ready,
    caPem,
    async listener(label, rules) {
      const yaml = [
        'apiVersion: warden.dev/v1',
        'kind: Policy',
        'metadata:',
        `  name: ${label}`,
        'spec:',
        '  network:',
        '    default: deny',
        '    rules:',
        ...rules.split('\n').map((l) => `      ${l}`),
        '',
      ].join('\n');
      const { listener } = await ready.call('POST /v1/listeners', {
        body: { label, policy: { yaml, source: path.join(home, `${label}.yaml`) } },
      });
      return { url: listener.proxyUrl, port: listener.port };
    },
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const done = new Promise((r) => child.once('exit', r));
        if ((await Promise.race([done.then(() => true), sleep(5000).then(() => false)])) === false)
          child.kill('SIGKILL');
      }
      await rm(home, { recursive: true, force: true });
    },
    output: () => output,
  };
}

/** Resident memory of a process, in bytes (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  return kb * 1024;
}

export function fdCountOf(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

// ---------------------------------------------------------------------------------------
// The load generator, forked

export class LoadWorker {
  readonly #child: ChildProcess;
  #next = 1;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; onHeld?: (v: unknown) => void }
  >();

  constructor() {
    this.#child = fork(path.join(here, 'load.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (m: { id: number; result?: unknown; error?: string; held?: boolean }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      if (m.held) return p.onHeld?.(m.result);
      this.#pending.delete(m.id);
      if (m.error) p.reject(new Error(`load generator: ${m.error}`));
      else p.resolve(m.result);
    });
    this.#child.on('exit', (code) => {
      for (const p of this.#pending.values()) p.reject(new Error(`the load generator exited (${code})`));
      this.#pending.clear();
    });
  }

  run<R>(job: Job, onHeld?: (held: unknown, release: () => void) => void): Promise<R> {
    const id = this.#next++;
    return new Promise<R>((resolve, reject) => {
      this.#pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onHeld: onHeld ? (v) => onHeld(v, () => this.#child.send({ id, release: true })) : undefined,
      });
      this.#child.send({ id, job });
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const done = new Promise((r) => this.#child.once('exit', r));
    this.#child.send({ exit: true });
    if ((await Promise.race([done.then(() => true), sleep(3000).then(() => false)])) === false)
      this.#child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------
// Peers (squid, mitmproxy), only when installed

export function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/usr/local/sbin'])) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitPort(port: number, ms: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && alive()) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${port}`);
}

interface Peer {
  name: string;
  url: string;
  /** PEM the client must trust for intercepted HTTPS through this peer, when it intercepts. */
  interceptCa?: string;
  stop(): Promise<void>;
}

async function startPeerProcess(
  name: string,
  command: string,
  args: string[],
  port: number,
  dir: string,
): Promise<{ stop(): Promise<void>; output(): string; alive(): boolean }> {
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (c: Buffer) => {
    output = (output + c.toString()).slice(-5000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.once('error', (e) => {
    exited = true;
    output += String(e);
  });
  try {
    await waitPort(port, 20_000, () => !exited);
  } catch {
    child.kill('SIGKILL');
    throw new Error(`${name} did not start: ${output.trim().slice(-500)}`);
  }
  return {
    output: () => output,
    alive: () => !exited,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const done = new Promise((r) => child.once('exit', r));
      if ((await Promise.race([done.then(() => true), sleep(5000).then(() => false)])) === false)
        child.kill('SIGKILL');
    },
  };
}

async function startSquid(binary: string): Promise<Peer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-bench-squid-'));
  await chmod(dir, 0o777); // squid drops privileges when started as root
  const port = await freePort();
  const conf = path.join(dir, 'squid.conf');
  await writeFile(
    conf,
    [
      `http_port 127.0.0.1:${port}`,
      'acl localnet src 127.0.0.1/32',
      'http_access allow localnet',
      'http_access deny all',
      'cache deny all',
      'cache_mem 8 MB',
      'access_log none',
      `cache_log ${path.join(dir, 'cache.log')}`,
      `pid_filename ${path.join(dir, 'squid.pid')}`,
      `coredump_dir ${dir}`,
      'shutdown_lifetime 0 seconds',
      'max_filedescriptors 8192',
      'via off',
      'forwarded_for delete',
      '',
    ].join('\n'),
  );
  const proc = await startPeerProcess('squid', binary, ['-N', '-f', conf], port, dir);
  return {
    name: 'squid',
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startMitmproxy(binary: string, upstreamCaFile: string): Promise<Peer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-bench-mitm-'));
  const port = await freePort();
  const proc = await startPeerProcess(
    'mitmproxy',
    binary,
    [
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      String(port),
      '--set',
      `confdir=${dir}`,
      '--set',
      `ssl_verify_upstream_trusted_ca=${upstreamCaFile}`,
      '-q',
    ],
    port,
    dir,
  );
  const caFile = path.join(dir, 'mitmproxy-ca-cert.pem');
  const deadline = Date.now() + 10_000;
  while (!existsSync(caFile) && Date.now() < deadline) await sleep(100);
  return {
    name: 'mitmproxy',
    url: `http://127.0.0.1:${port}`,
    interceptCa: readFileSync(caFile, 'utf8'),
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------
// The benchmarks

const round = (n: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export interface ProxyBenchContext {
  up: BenchUpstreams;
  daemon: BenchDaemon;
  load: LoadWorker;
  /** Listener with a host-level allow of 127.0.0.1: plain HTTP forwarded, CONNECT spliced. */
  plain: { url: string; port: number };
  /** Listener with a path rule on 127.0.0.1: every CONNECT is intercepted. */
  intercept: { url: string; port: number };
  log: (line: string) => void;
}

export async function startProxyBench(log: (line: string) => void): Promise<ProxyBenchContext> {
  const up = await startBenchUpstreams();
  const daemon = await startBenchDaemon(up.caFile).catch(async (e) => {
    await up.close();
    throw e;
  });
  const load = new LoadWorker();
  const plain = await daemon.listener('bench-plain', '- match: 127.0.0.1\n  action: allow');
  const intercept = await daemon.listener(
    'bench-intercept',
    '- match: 127.0.0.1\n  paths: ["/**"]\n  action: allow',
  );
  log(`daemon pid ${daemon.pid}; upstreams http :${up.httpPort} https :${up.httpsPort}`);
  return { up, daemon, load, plain, intercept, log };
}

export async function stopProxyBench(ctx: ProxyBenchContext): Promise<void> {
  await ctx.load.stop();
  await ctx.daemon.stop();
  await ctx.up.close();
}

/** 1,000 connections through one listener, each with one request, all held open together. */
export async function benchConcurrentConnections(
  ctx: ProxyBenchContext,
  connections = 1000,
): Promise<Figure[]> {
  const { load, daemon, up, plain } = ctx;
  const url = `http://127.0.0.1:${up.httpPort}/small`;
  // Warm the path up, then let the daemon settle before the baseline.
  await load.run<LatencyResult[]>({
    kind: 'latency',
    url,
    targets: [{ via: { kind: 'forward', proxy: plain.url } }],
    warmup: 0,
    count: 300,
  });
  await sleep(1000);
  const rssBefore = rssOf(daemon.pid);
  const fdBefore = fdCountOf(daemon.pid);
  let rssHeld = 0;
  let fdHeld = 0;
  let heldResult: HoldResult | undefined;
  await load.run<{ released: true }>(
    { kind: 'hold', proxyPort: plain.port, url, connections, timeoutMs: 20_000 },
    (held, release) => {
      const h = held as HoldResult;
      void sleep(500).then(() => {
        rssHeld = rssOf(daemon.pid);
        fdHeld = fdCountOf(daemon.pid);
        ctx.log(
          `  ${connections} connections: ${h.ok} answered and open, ${h.errors} errors${h.firstError ? ` (first: ${h.firstError})` : ''}, in ${Math.round(h.elapsedMs)} ms`,
        );
        heldResult = h;
        release();
      });
    },
  );
  const h = heldResult as HoldResult | undefined;
  if (!h) throw new Error('the hold job ended without reporting');
  const perConnKb = (rssHeld - rssBefore) / connections / 1024;
  return [
    {
      section: 'concurrency',
      name: `${connections} concurrent connections, one request each, held open: errors`,
      value: h.errors,
      unit: 'errors',
      goal: { op: '<=', target: 0, on: 'value' },
      note: `all answered in ${Math.round(h.elapsedMs)} ms; daemon fds +${fdHeld - fdBefore}`,
    },
    {
      section: 'concurrency',
      name: 'daemon memory per open connection (RSS delta / connections)',
      value: round(perConnKb, 1),
      unit: 'KB',
      note: `RSS ${Math.round(rssBefore / 2 ** 20)} → ${Math.round(rssHeld / 2 ** 20)} MB`,
    },
  ];
}

/** Added latency of a governed plain-HTTP request, kept-alive, sequential. */
export async function benchPlainLatency(
  ctx: ProxyBenchContext,
  count = 3000,
  via: Via = { kind: 'forward', proxy: ctx.plain.url },
  label = 'Warden',
): Promise<Figure[]> {
  const url = `http://127.0.0.1:${ctx.up.httpPort}/small`;
  // Direct and proxied requests interleaved in blocks of 100.
  const [direct, proxied] = (await ctx.load.run<LatencyResult[]>({
    kind: 'latency',
    url,
    targets: [{ via: { kind: 'direct' } }, { via }],
    warmup: 500,
    count,
  })) as [LatencyResult, LatencyResult];
  ctx.log(
    `  plain HTTP via ${label}: direct p50 ${direct.p50.toFixed(3)} / p99 ${direct.p99.toFixed(3)} ms; proxied p50 ${proxied.p50.toFixed(3)} / p99 ${proxied.p99.toFixed(3)} ms; errors ${proxied.errors}`,
  );
  const section = label === 'Warden' ? 'plain HTTP' : PEERS;
  const errors = proxied.errors + direct.errors;
  const note = `${count} sequential requests each, after 500 warm-up, interleaved with direct in blocks of 100${errors ? `; ${errors} errors` : ''}`;
  return [
    {
      section,
      name: `${label}: added latency, plain HTTP, kept-alive, p50`,
      value: round(proxied.p50 - direct.p50, 3),
      unit: 'ms',
      direct: round(direct.p50, 3),
      directUnit: 'ms',
      ratio: proxied.p50 / direct.p50,
      goal: label === 'Warden' ? { op: '<=', target: 1, on: 'value' } : undefined,
      note,
    },
    {
      section,
      name: `${label}: added latency, plain HTTP, kept-alive, p99`,
      value: round(proxied.p99 - direct.p99, 3),
      unit: 'ms',
      direct: round(direct.p99, 3),
      directUnit: 'ms',
      ratio: proxied.p99 / direct.p99,
      goal: label === 'Warden' ? { op: '<=', target: 5, on: 'value' } : undefined,
    },
  ];
}

/** A 100 MB HTTPS download through a spliced CONNECT tunnel vs direct. */
export async function benchTunnelThroughput(
  ctx: ProxyBenchContext,
  bytes = 100 * 1024 * 1024,
  runs = 5,
): Promise<Figure[]> {
  const url = `https://127.0.0.1:${ctx.up.httpsPort}/bytes/${bytes}`;
  const job = (via: Via): Job => ({ kind: 'download', url, via, ca: [ctx.up.caPem], bytes, runs });
  // One discarded download each way first (the upstream allocates its body on first use),
  // then alternate so both see the same machine state.
  await ctx.load.run<DownloadResult>({ ...job({ kind: 'direct' }), runs: 1 } as Job);
  await ctx.load.run<DownloadResult>({ ...job({ kind: 'tunnel', proxy: ctx.plain.url }), runs: 1 } as Job);
  const direct: number[] = [];
  const tunnel: number[] = [];
  for (let r = 0; r < runs; r++) {
    direct.push(...(await ctx.load.run<DownloadResult>({ ...job({ kind: 'direct' }), runs: 1 } as Job)).runs);
    tunnel.push(
      ...(
        await ctx.load.run<DownloadResult>({
          ...job({ kind: 'tunnel', proxy: ctx.plain.url }),
          runs: 1,
        } as Job)
      ).runs,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const d = median(direct);
  const t = median(tunnel);
  ctx.log(
    `  100 MB download: direct ${direct.map((x) => x.toFixed(0)).join('/')} MB/s, tunnel ${tunnel.map((x) => x.toFixed(0)).join('/')} MB/s`,
  );
  return [
    {
      section: 'CONNECT tunnel',
      name: `CONNECT tunnel (spliced) throughput, ${Math.round(bytes / 2 ** 20)} MB HTTPS download`,
      value: round(t, 0),
      unit: 'MB/s',
      direct: round(d, 0),
      directUnit: 'MB/s',
      ratio: t / d,
      goal: { op: '>=', target: 0.8, on: 'ratio' },
      note: `median of ${runs}`,
    },
  ];
}

const HTTPS_100K = (ctx: ProxyBenchContext) => `https://127.0.0.1:${ctx.up.httpsPort}/bytes/${BODY_100K}`;

/**
 * 100 KB HTTPS responses over 16 kept-alive connections per target: requests/s. The
 * targets take turns in `rounds` windows, so background load on the machine hits them alike.
 */
async function httpsRates(
  ctx: ProxyBenchContext,
  targets: Array<{ via: Via; ca: string; ms: number }>,
  rounds = 5,
): Promise<ThroughputResult[]> {
  return ctx.load.run<ThroughputResult[]>({
    kind: 'throughput',
    url: HTTPS_100K(ctx),
    targets: targets.map((t) => ({ via: t.via, ca: [t.ca], ms: t.ms })),
    connections: 16,
    rounds,
    bytes: BODY_100K,
  });
}

/** 100 KB HTTPS responses, sequential on one kept-alive connection per target, interleaved. */
async function httpsLatencies(
  ctx: ProxyBenchContext,
  targets: Array<{ via: Via; ca: string }>,
  count: number,
): Promise<LatencyResult[]> {
  return ctx.load.run<LatencyResult[]>({
    kind: 'latency',
    url: HTTPS_100K(ctx),
    targets: targets.map((t) => ({ via: t.via, ca: [t.ca] })),
    warmup: 200,
    count,
  });
}

/** TLS-intercepted HTTPS (a path rule forces interception), 100 KB responses. */
export async function benchIntercept(
  ctx: ProxyBenchContext,
  opts: { durationMs?: number; baselineMs?: number; latencyCount?: number } = {},
): Promise<Figure[]> {
  const { durationMs = 10_000, baselineMs = 5000, latencyCount = 1000 } = opts;
  const mitm: Via = { kind: 'tunnel', proxy: ctx.intercept.url };
  const direct: Via = { kind: 'direct' };
  const [directLat, mitmLat] = (await httpsLatencies(
    ctx,
    [
      { via: direct, ca: ctx.up.caPem },
      { via: mitm, ca: ctx.daemon.caPem },
    ],
    latencyCount,
  )) as [LatencyResult, LatencyResult];
  ctx.log(
    `  intercepted 100 KB on one connection: direct p50 ${directLat.p50.toFixed(3)} ms, intercepted p50 ${mitmLat.p50.toFixed(3)} ms (p99 ${mitmLat.p99.toFixed(3)})`,
  );
  const [directRate, rate, spliced] = (await httpsRates(ctx, [
    { via: direct, ca: ctx.up.caPem, ms: baselineMs },
    { via: mitm, ca: ctx.daemon.caPem, ms: durationMs },
    { via: { kind: 'tunnel', proxy: ctx.plain.url }, ca: ctx.up.caPem, ms: baselineMs },
  ])) as [ThroughputResult, ThroughputResult, ThroughputResult];
  ctx.log(
    `  100 KB over 16 connections: direct ${directRate.perSecond.toFixed(0)}/s, intercepted ${rate.perSecond.toFixed(0)}/s (${rate.errors} errors), spliced ${spliced.perSecond.toFixed(0)}/s`,
  );
  return [
    {
      section: 'TLS interception',
      name: 'TLS-intercepted HTTPS, 100 KB responses, 16 kept-alive connections',
      value: round(rate.perSecond, 0),
      unit: 'req/s',
      direct: round(directRate.perSecond, 0),
      directUnit: 'req/s',
      ratio: rate.perSecond / directRate.perSecond,
      goal: { op: '>=', target: 500, on: 'value' },
      note: `${Math.round(durationMs / 1000)} s (direct ${Math.round(baselineMs / 1000)} s), in 5 interleaved windows; ${rate.errors} errors`,
    },
    {
      section: 'TLS interception',
      name: 'TLS-intercepted HTTPS, 100 KB, one kept-alive connection: added p50',
      value: round(mitmLat.p50 - directLat.p50, 3),
      unit: 'ms',
      direct: round(directLat.p50, 3),
      directUnit: 'ms',
      ratio: mitmLat.p50 / directLat.p50,
      goal: { op: '<=', target: 3, on: 'value' },
      note: `${latencyCount} sequential requests each, after 200 warm-up, interleaved with direct; added p99 ${round(mitmLat.p99 - directLat.p99, 2)} ms`,
    },
    {
      section: 'TLS interception',
      name: 'CONNECT tunnel (spliced) HTTPS, 100 KB responses, 16 kept-alive connections',
      value: round(spliced.perSecond, 0),
      unit: 'req/s',
      direct: round(directRate.perSecond, 0),
      directUnit: 'req/s',
      ratio: spliced.perSecond / directRate.perSecond,
      note: `${Math.round(baselineMs / 1000)} s, interleaved with the above; for comparison with squid`,
    },
  ];
}

/** squid and mitmproxy, side by side, when installed. Not graded: for comparison only. */
export async function benchPeers(
  ctx: ProxyBenchContext,
  durationMs = 4000,
): Promise<{ figures: Figure[]; notes: string[] }> {
  const figures: Figure[] = [];
  const notes: string[] = [];
  const squid = findBinary('squid');
  const mitmdump = findBinary('mitmdump');
  if (!squid) notes.push('squid not found on PATH: not measured (Debian package "squid")');
  if (!mitmdump)
    notes.push('mitmproxy (mitmdump) not found on PATH: not measured (Debian package "mitmproxy")');
  // Each peer's rate is paired with a direct run of the same length just before it.
  const peerRate = async (name: string, what: string, via: Via, ca: string): Promise<Figure> => {
    const [direct, r] = (await httpsRates(
      ctx,
      [
        { via: { kind: 'direct' }, ca: ctx.up.caPem, ms: durationMs },
        { via, ca, ms: durationMs },
      ],
      4,
    )) as [ThroughputResult, ThroughputResult];
    ctx.log(`  ${name}, ${what}: ${r.perSecond.toFixed(0)}/s (direct ${direct.perSecond.toFixed(0)}/s)`);
    return {
      section: PEERS,
      name: `${name}: ${what}, 100 KB responses, 16 kept-alive connections`,
      value: round(r.perSecond, 0),
      unit: 'req/s',
      direct: round(direct.perSecond, 0),
      directUnit: 'req/s',
      ratio: r.perSecond / direct.perSecond,
      note: `${Math.round(durationMs / 1000)} s each, in 4 interleaved windows; ${r.errors} errors`,
    };
  };
  if (squid) {
    let peer: Peer | undefined;
    try {
      peer = await startSquid(squid);
      const forward: Via = { kind: 'forward', proxy: peer.url };
      figures.push(...(await benchPlainLatency(ctx, 2000, forward, 'squid')));
      figures.push(
        await peerRate('squid', 'CONNECT tunnel HTTPS', { kind: 'tunnel', proxy: peer.url }, ctx.up.caPem),
      );
    } catch (error) {
      notes.push(`squid: ${(error as Error).message}`);
    } finally {
      await peer?.stop();
    }
  }
  if (mitmdump) {
    let peer: Peer | undefined;
    try {
      peer = await startMitmproxy(mitmdump, ctx.up.caFile);
      figures.push(
        ...(await benchPlainLatency(ctx, 1000, { kind: 'forward', proxy: peer.url }, 'mitmproxy')),
      );
      const via: Via = { kind: 'tunnel', proxy: peer.url };
      figures.push(await peerRate('mitmproxy', 'TLS-intercepted HTTPS', via, peer.interceptCa!));
      const [directLat, lat] = (await httpsLatencies(
        ctx,
        [
          { via: { kind: 'direct' }, ca: ctx.up.caPem },
          { via, ca: peer.interceptCa! },
        ],
        300,
      )) as [LatencyResult, LatencyResult];
      figures.push({
        section: PEERS,
        name: 'mitmproxy: TLS-intercepted HTTPS, 100 KB, one kept-alive connection: added p50',
        value: round(lat.p50 - directLat.p50, 3),
        unit: 'ms',
        direct: round(directLat.p50, 3),
        directUnit: 'ms',
        ratio: lat.p50 / directLat.p50,
        note: '300 sequential requests after 200 warm-up',
      });
    } catch (error) {
      notes.push(`mitmproxy: ${(error as Error).message}`);
    } finally {
      await peer?.stop();
    }
  }
  return { figures, notes };
}

/** Every proxy benchmark, in an order that keeps the memory baseline clean. */
export async function benchProxy(
  opts: ProxyBenchOptions = {},
): Promise<{ figures: Figure[]; notes: string[] }> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const ctx = await startProxyBench(log);
  const figures: Figure[] = [];
  const notes: string[] = [];
  try {
    log('proxy: concurrent connections');
    figures.push(...(await benchConcurrentConnections(ctx, opts.holdConnections ?? 1000)));
    log('proxy: plain HTTP latency');
    figures.push(...(await benchPlainLatency(ctx, opts.latencyCount ?? 3000)));
    log('proxy: CONNECT tunnel throughput');
    figures.push(...(await benchTunnelThroughput(ctx, opts.downloadBytes, opts.downloadRuns)));
    log('proxy: TLS interception');
    figures.push(
      ...(await benchIntercept(ctx, {
        durationMs: opts.interceptMs ?? 10_000,
        baselineMs: opts.shortMs ?? 5000,
      })),
    );
    if (opts.peers !== false) {
      log('proxy: peers');
      const peers = await benchPeers(ctx, opts.peerMs ?? 4000);
      figures.push(...peers.figures);
      notes.push(...peers.notes);
    }
  } catch (error) {
    log(`daemon output:\n${ctx.daemon.output()}`);
    throw error;
  } finally {
    await stopProxyBench(ctx);
  }
  return { figures, notes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { figures, notes } = await benchProxy();
  for (const f of figures) console.log(`${f.name.padEnd(90)} ${f.value} ${f.unit}`);
  for (const n of notes) console.log(n);
}
