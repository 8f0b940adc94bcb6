// Host commands the image builder runs (apt-get, dpkg-deb, ldd, strip), behind a small
// interface so the builder's logic can be read without them.

import { spawnSync } from 'node:child_process';

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

export type RunCommand = (cmd: string, args: string[], opts?: RunOptions) => CommandResult;

export const runCommand: RunCommand = (cmd, args, opts = {}) => {
  const env = opts.env ? { ...process.env, ...opts.env } : process.env;
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) return { status: null, stdout: '', stderr: r.error.message };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

export function mustRun(run: RunCommand, cmd: string, args: string[], opts: RunOptions = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? 'not started'}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** The shared libraries `ldd` lists for a binary (including the dynamic loader). */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split('\n')) {
    const arrow = /=>\s+(\/\S+)\s+\(/.exec(line);
    if (arrow) libs.push(arrow[1]!);
    else {
      const direct = /^\s*(\/\S+)\s+\(/.exec(line);
      if (direct) libs.push(direct[1]!);
    }
  }
  return libs;
}

/** The package `linux-image-amd64` depends on, e.g. linux-image-6.1.0-56-amd64. */
export function parseKernelDepends(aptCacheDepends: string, meta: string): string | undefined {
  for (const line of aptCacheDepends.split('\n')) {
    const m = /^\s*Depends:\s*(linux-image-\S+)/.exec(line);
    if (m && m[1] !== meta) return m[1];
  }
  return undefined;
}
