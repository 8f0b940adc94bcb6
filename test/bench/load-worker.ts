// The load generator (test/bench/load.ts), forked, so generating load never runs on the
// proxy's event loop; jobs go over IPC and come back as results.

import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job } from './load.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
