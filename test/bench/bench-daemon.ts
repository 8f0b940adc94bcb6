// The daemon under benchmark, in its own process (the bundled `warden daemon`, else the
// sources through tsx), and what the benchmarks read of it from /proc.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../supervisor/client/api-client.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

export interface BenchDaemon {
  pid: number;
  client: ApiClient;
  caPem: string;
  /** A governed listener with this project policy; returns its proxy URL and port. */
  listener(label: string, rules: string): Promise<{ url: string; port: number; sandboxId: string }>;
  stop(): Promise<void>;
  output(): string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start `warden daemon` from `entry` (default: the bundle, else the sources through tsx). */
export async function startBenchDaemon(upstreamCaFile: string, entry?: string): Promise<BenchDaemon> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'warden-bench-home-'));
  // WARDEN_BENCH_DAEMON names another build's bundle (e.g. the commit before a change).
  const bundle = entry ?? process.env.WARDEN_BENCH_DAEMON ?? path.join(root, 'dist/warden.mjs');
  // WARDEN_BENCH_DAEMON_FLAGS adds node flags to the daemon (e.g. --cpu-prof to profile it).
  const flags = (process.env.WARDEN_BENCH_DAEMON_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const args = existsSync(bundle)
    ? [...flags, bundle, 'daemon']
    : [...flags, '--import', 'tsx', path.join(root, 'supervisor/cli/main.ts'), 'daemon'];
  const child = spawn(process.execPath, args, {
    cwd: root,
    // No warm VM pool: booting a microVM in the background would load the machine mid-run.
    env: { WARDEN_POOL_SIZE: '0', ...process.env, WARDEN_HOME: home, WARDEN_UPSTREAM_CA: upstreamCaFile },
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
      const { sandbox } = await ready.call('POST /v1/sandboxes', {
        body: { kind: 'host', label, policy: { yaml, source: path.join(home, `${label}.yaml`) } },
      });
      if (sandbox.kind !== 'host') throw new Error(`expected a host sandbox, got ${sandbox.kind}`);
      return { url: sandbox.clientProxyUrl, port: sandbox.port, sandboxId: sandbox.sandboxId };
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

/** CPU time (user + system) a process has used so far, in ms (Linux, clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function fdCountOf(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}
