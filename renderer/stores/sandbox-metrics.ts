// Each sandbox's load over the last minutes, sampled from GET /v1/metrics/sandboxes while
// the sandboxes view is open: CPU (% of one core, from the QEMU process's CPU time between
// two samples), memory (QEMU's resident MiB, and what the guest itself uses, as its agent
// reports) and network (bytes per second up and down).
// Bounded: `keep` samples per sandbox, and only sandboxes the last sample listed.

import { action, makeObservable, observable } from 'mobx';
import type { SandboxMetrics, SandboxMetricsResponse } from '../../supervisor/api/sandbox-types.ts';
import type { WardenClient } from '../client/client.ts';
import type { Clock } from './approvals.ts';

export interface LoadSeries {
  /** Sample times, unix seconds. */
  t: number[];
  cpuPct: Array<number | null>;
  rssMiB: Array<number | null>;
  /** What the guest's kernel says is in use (MemTotal − MemAvailable), MiB. */
  guestMiB: Array<number | null>;
  upBps: number[];
  downBps: number[];
}

function emptySeries(): LoadSeries {
  return { t: [], cpuPct: [], rssMiB: [], guestMiB: [], upBps: [], downBps: [] };
}

export class SandboxMetricsStore {
  /** Bumped when a sample lands. */
  version = 0;
  readonly #series = new Map<string, LoadSeries>();
  #last = new Map<string, { time: number; m: SandboxMetrics }>();
  readonly #client: WardenClient;
  readonly #clock: Clock;
  readonly #keep: number;

  constructor(client: WardenClient, clock: Clock, keep = 150) {
    this.#client = client;
    this.#clock = clock;
    this.#keep = keep;
    makeObservable(this, { version: observable, ingest: action });
  }

  /** Samples every `ms` until the returned disposer is called (one sample at once). */
  poll(ms = 2000): () => void {
    const sample = () =>
      void this.#client.sandboxMetrics().then(
        (r) => this.ingest(r),
        () => undefined,
      );
    sample();
    return this.#clock.every(ms, sample);
  }

  ingest(r: SandboxMetricsResponse): void {
    const seen = new Set<string>();
    for (const m of r.sandboxes) {
      seen.add(m.sandboxId);
      const prev = this.#last.get(m.sandboxId);
      this.#last.set(m.sandboxId, { time: r.time, m });
      if (!prev) continue;
      const dt = (r.time - prev.time) / 1000;
      if (!(dt > 0)) continue;
      const s = this.#series.get(m.sandboxId) ?? emptySeries();
      this.#series.set(m.sandboxId, s);
      const cpu =
        m.cpuSeconds !== undefined && prev.m.cpuSeconds !== undefined
          ? Math.max(0, ((m.cpuSeconds - prev.m.cpuSeconds) / dt) * 100)
          : null;
      s.t.push(r.time / 1000);
      s.cpuPct.push(cpu);
      s.rssMiB.push(m.rssBytes !== undefined ? m.rssBytes / 2 ** 20 : null);
      s.guestMiB.push(m.guestMemoryUsedBytes !== undefined ? m.guestMemoryUsedBytes / 2 ** 20 : null);
      s.upBps.push(Math.max(0, (m.bytesUp - prev.m.bytesUp) / dt));
      s.downBps.push(Math.max(0, (m.bytesDown - prev.m.bytesDown) / dt));
      if (s.t.length > this.#keep)
        for (const k of ['t', 'cpuPct', 'rssMiB', 'guestMiB', 'upBps', 'downBps'] as const)
          s[k].splice(0, s[k].length - this.#keep);
    }
    for (const id of [...this.#last.keys()]) {
      if (!seen.has(id)) {
        this.#last.delete(id);
        this.#series.delete(id);
      }
    }
    this.version++;
  }

  series(sandboxId: string): LoadSeries | undefined {
    void this.version;
    return this.#series.get(sandboxId);
  }

  /** The latest raw counters of a sandbox. */
  latest(sandboxId: string): SandboxMetrics | undefined {
    void this.version;
    return this.#last.get(sandboxId)?.m;
  }
}
