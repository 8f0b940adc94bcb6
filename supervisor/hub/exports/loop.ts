// Runs every configured destination in the hub process: a round per destination every
// `intervalMs`, destinations added or removed meanwhile picked up at the next tick.

import type { HubStore } from '../store.ts';
import type { ExportRunner } from './runner.ts';
import { runnerFor, type SinkTuning } from './targets.ts';

export class ExportLoop {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  readonly #runners = new Map<string, ExportRunner>();

  constructor(
    readonly store: HubStore,
    readonly version: string,
    readonly intervalMs = 2000,
    readonly tuning: SinkTuning = {},
  ) {}

  start(): void {
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.tick()
        .catch((error) => {
          process.stderr.write(`warden hub: export: ${(error as Error).message}\n`);
        })
        .finally(() => this.#schedule(this.intervalMs));
    }, ms);
    this.#timer.unref();
  }

  /** One round of every destination. */
  async tick(): Promise<void> {
    const targets = await this.store.exportTargets();
    const names = new Set(targets.map((t) => t.name));
    for (const name of this.#runners.keys()) if (!names.has(name)) this.#runners.delete(name);
    for (const t of targets) {
      if (this.#stopped) return;
      let runner = this.#runners.get(t.name);
      if (!runner || runner.target.created !== t.created) {
        runner = runnerFor(this.store, t, this.version, this.tuning);
        this.#runners.set(t.name, runner);
      }
      await runner.round();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }
}
