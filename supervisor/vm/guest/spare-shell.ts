// A shell forked ahead of time that becomes the next command. The agent is a Node process
// of some 40 MB; forking it for each command costs 30–60 ms under TCG, most of a short
// command's run. The spare is a busybox shell (about 1 MB) started while nothing runs: it
// reads its commands from stdin, where the command's script comes, which sets the command's
// environment and directory and `exec`s it with fd 3 as its stdin, so the command keeps the
// spare's pid, process group and pipes. The shell reads a script a buffer at a time (its
// `read` builtin took one byte per system call: 14 ms more for a 1.4 KB environment under TCG).
// Forking blocks the agent for as long as it takes, so the next spare forks only once no
// command has started or ended for a moment: commands run back to back are spawned
// directly (as without a spare), and the first command after a pause gets the spare.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';

// Variables the shell sets and exports by itself; the command gets exactly its own env.
const SHELL_OWN = ['SHLVL', 'PWD', 'OLDPWD'];

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The process is still waiting: it exists and has not exited (a zombie, state Z, has exited
 * though Node may not have seen it yet; its `exitCode` is still null then).
 */
function waiting(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^\S+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

/** `sh -c` quoting for one argument. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(arg)) return arg;
  return "'" + arg.replace(/'/g, `'\\''`) + "'";
}

export interface CommandSpec {
  argv: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  /** Keep the spare's stdin pipe; otherwise the command reads /dev/null. */
  stdin: boolean;
}

/**
 * The script the spare runs for `spec`, or undefined when a variable name cannot be set
 * from a shell (the caller spawns the command directly then).
 */
export function commandScript(spec: CommandSpec): string | undefined {
  const lines = [`unset ${SHELL_OWN.join(' ')}`];
  for (const [name, value] of Object.entries(spec.env)) {
    if (!NAME.test(name)) return undefined;
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  if (spec.cwd !== undefined) lines.push(`cd ${shellQuote(spec.cwd)} || exit 127`);
  lines.push(`exec ${spec.argv.map(shellQuote).join(' ')} ${spec.stdin ? '<&3' : '</dev/null'} 3<&-`);
  return `${lines.join('\n')}\n`;
}

/** Quiet time after a command starts or ends before the next spare forks. */
export const SPARE_IDLE_MS = 200;

/** After that fork, quiet time before `whenIdle` runs (the fork's own work settles first). */
export const WHEN_IDLE_MS = 50;

export class SpareShell {
  #spare: ChildProcess | undefined;
  #timer: NodeJS.Timeout | undefined;

  /**
   * `shell` starts a shell that reads its commands from stdin (busybox `sh -s`). `whenIdle`
   * runs once per quiet spell, after the spare forked, unless a command came meanwhile.
   */
  constructor(
    private readonly shell: { file: string; args: string[] },
    private readonly whenIdle?: () => void,
  ) {}

  /** The waiting spare's pid, if there is one. */
  get pid(): number | undefined {
    return this.#spare?.pid;
  }

  /** Forks the next spare once `idleMs` pass without another call (commands come and go). */
  prepareWhenIdle(idleMs = SPARE_IDLE_MS): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.prepare();
      if (!this.whenIdle) return;
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.whenIdle?.();
      }, WHEN_IDLE_MS);
      this.#timer.unref();
    }, idleMs);
    this.#timer.unref();
  }

  /** Forks the next spare if there is none (call while no command is starting). */
  prepare(): void {
    if (this.#spare) return;
    const child = spawn(this.shell.file, this.shell.args, {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, as a directly spawned command has
      env: {},
      cwd: '/',
    });
    const drop = () => {
      if (this.#spare === child) this.#spare = undefined;
    };
    child.once('error', drop);
    child.once('exit', drop);
    child.stdin?.on('error', () => {});
    child.stdio[3]?.on('error', () => {});
    this.#spare = child;
  }

  /** The spare, now running `spec`; undefined when there is none or `spec` needs a direct spawn. */
  take(spec: CommandSpec): ChildProcess | undefined {
    const child = this.#spare;
    if (!child || child.pid === undefined || child.exitCode !== null) return undefined;
    if (!waiting(child.pid)) {
      // It died while waiting: let it go, and run this command directly.
      this.#spare = undefined;
      return undefined;
    }
    const script = commandScript(spec);
    if (script === undefined) return undefined;
    this.#spare = undefined;
    child.stdin?.end(script);
    // The command reads fd 3: from here on that pipe is the child's stdin.
    child.stdin = child.stdio[3] as Writable;
    return child;
  }

  /** Ends the spare (power-off). */
  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#spare?.kill('SIGKILL');
    this.#spare = undefined;
  }
}
