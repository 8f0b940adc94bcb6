// A command run in a VM to its end (Vm.run): started through the VM's exec, given its whole
// stdin, and answered with its exit status and everything it printed.

import type { ExecOptions, ExecProcess } from './control-client.ts';
import type { RunOptions, RunResult } from './vm.ts';

/** Runs `argv` through `exec`; resolves once it exited and both its outputs ended. */
export async function runToEnd(
  exec: (opts: ExecOptions) => ExecProcess,
  argv: string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const execOpts: ExecOptions = { argv, stdin: opts.stdin !== undefined };
  if (opts.env) execOpts.env = opts.env;
  if (opts.cwd) execOpts.cwd = opts.cwd;
  const p = exec(execOpts);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  p.stdout.on('data', (d: Buffer) => out.push(d));
  p.stderr.on('data', (d: Buffer) => err.push(d));
  const stdoutDone = new Promise((r) => p.stdout.on('end', r));
  const stderrDone = new Promise((r) => p.stderr.on('end', r));
  if (opts.stdin !== undefined) {
    p.write(opts.stdin);
    p.end();
  }
  const status = await p.exited;
  await Promise.all([stdoutDone, stderrDone]);
  return { ...status, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}
