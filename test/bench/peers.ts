// Peers (squid, mitmproxy), measured side by side with Warden only when installed. Not
// graded: for comparison only.

import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Figure, round } from './figures.ts';
import type { LatencyResult, ThroughputResult, Via } from './load.ts';
import {
  benchPlainLatency,
  httpsLatencies,
  httpsRates,
  PEERS,
  type ProxyBenchContext,
} from './proxy-context.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

export async function waitPort(port: number, ms: number, alive: () => boolean): Promise<void> {
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

export interface Peer {
  name: string;
  url: string;
  /** PEM the client must trust for intercepted HTTPS through this peer, when it intercepts. */
  interceptCa?: string;
  /** Its process, for the CPU it spends (cpuMsOf). */
  pid?: number;
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux port Warden runs on). */
const USER_HZ = 100;

/** CPU time (user + system, every thread) a process has used, in ms; NaN when it cannot be read. */
export function cpuMsOf(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    let ticks = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return (ticks * 1000) / USER_HZ;
  } catch {
    return Number.NaN;
  }
}

export async function startPeerProcess(
  name: string,
  command: string,
  args: string[],
  port: number,
  dir: string,
): Promise<{ stop(): Promise<void>; output(): string; alive(): boolean; pid?: number }> {
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
    ...(child.pid ? { pid: child.pid } : {}),
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

/** The bare Node forward proxy (node-floor-proxy.ts): Node's HTTP machinery alone. */
export async function startNodeFloor(): Promise<Peer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-bench-node-floor-'));
  const port = await freePort();
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node-floor-proxy.ts');
  // The peer runs in a directory of its own: tsx is named by its resolved location.
  const tsx = import.meta.resolve('tsx');
  const args = ['--import', tsx, script, String(port)];
  const proc = await startPeerProcess('node-floor', process.execPath, args, port, dir);
  return {
    name: 'bare Node proxy',
    url: `http://127.0.0.1:${port}`,
    ...(proc.pid ? { pid: proc.pid } : {}),
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function startSquid(binary: string): Promise<Peer> {
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
    ...(proc.pid ? { pid: proc.pid } : {}),
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function startMitmproxy(binary: string, upstreamCaFile: string): Promise<Peer> {
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
