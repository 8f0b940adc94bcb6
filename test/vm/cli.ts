// The real `warden` CLI and what VM tests look at around it: a run's output and exit,
// whether a process is alive, the QEMUs of a $WARDEN_HOME, a command in a guest, the pool.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type ApiClient, execInSandbox } from '../../supervisor/client/api-client.ts';

export { type CliRun, runWarden, WARDEN_BIN, WARDEN_COMMAND } from '../support/warden-cli.ts';

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** QEMU processes started for the $WARDEN_HOME `home`. */
export function qemusOf(home: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (
        path.basename(argv[0] ?? '').startsWith('qemu-system') &&
        argv.some((a) => a.includes(`${home}/run/`))
      )
        pids.push(Number(name));
    } catch {}
  }
  return pids;
}

/** Runs `argv` in a sandbox through the API; its output and exit code. */
export async function guestRun(
  c: ApiClient,
  sandboxId: string,
  argv: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const s = await execInSandbox(c, sandboxId, { argv });
  let stdout = '';
  let stderr = '';
  s.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  s.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const status = await s.exited;
  return { code: status.code, stdout, stderr };
}

/** Waits until the daemon's warm pool holds a booted VM. */
export async function poolReady(c: ApiClient): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const s = await c.call('GET /v1/status');
    if ((s.vm?.pool.ready ?? 0) >= 1) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the warm pool did not fill within 120 s');
}
