// The live feed of decisions: a bounded ring buffer of request.decided events, counters per
// sandbox, filters, pause/resume. A row appears when its request is decided; its
// request.ended (same id) later fills in bytes, status and how it ended. Events are batched
// (one MobX action per flush) so a stream of thousands per second costs one re-render per
// flush, not one per event.

import { action, computed, makeObservable, observable } from 'mobx';
import type {
  ApprovalPendingEvent,
  RequestDecidedEvent,
  RequestEndedEvent,
  RequestOutcome,
} from '../../supervisor/api/events.ts';
import { ActivityStats, type ActivityStatsOptions, rateKind } from './activity-stats.ts';
import { Ring } from './ring.ts';

export interface ActivityRow {
  key: number;
  id: string;
  time: string;
  /** `time` in unix ms (for the time-range filter). */
  ms: number;
  sandboxId: string;
  method: string;
  scheme: string;
  host: string;
  path: string;
  outcome: RequestOutcome;
  rule: string;
  reason: string;
  status?: number;
  bytes: number;
  decidedBy: RequestDecidedEvent['decidedBy'];
  /** What spec.redact masked or blocked in its body, by kind (from its request.ended). */
  redactions?: Record<string, number>;
}

/** `email 2, vault 1`: a row's redaction counts, for its cell and its tooltip. */
export function describeRedactions(r: Record<string, number> | undefined): string {
  if (!r) return '';
  return Object.entries(r)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
}

export interface SandboxCounter {
  allowed: number;
  denied: number;
  other: number;
}

export interface ActivityFilters {
  sandbox: string;
  outcome: '' | RequestOutcome;
  host: string;
  /** Only rows decided in [from, to) (unix ms), picked by brushing the rate chart. */
  range: { from: number; to: number } | null;
}

export interface ActivityStoreOptions {
  capacity?: number;
  stats?: ActivityStatsOptions;
  /** Schedules a flush of buffered events (default: 100 ms timer). */
  schedule?: (fn: () => void) => void;
  /** Schedules the charts' next redraw after a flush (default: 250 ms timer; charts count by second). */
  scheduleCharts?: (fn: () => void) => void;
}

function ruleText(e: RequestDecidedEvent): string {
  if (e.rule) return `${e.rule.layer} rule ${e.rule.index + 1}: ${e.rule.action} ${e.rule.match}`;
  return e.decidedBy === 'approval' ? 'approval' : e.decidedBy === 'proxy' ? 'proxy' : 'default';
}

export class ActivityStore {
  version = 0;
  paused = false;
  heldWhilePaused = 0;
  total = 0;
  /** Bumped at most every 250 ms after flushes, paused or not: the charts stay live while the table is paused. */
  statsVersion = 0;
  filters: ActivityFilters = { sandbox: '', outcome: '', host: '', range: null };
  readonly stats: ActivityStats;
  readonly counters = observable.map<string, SandboxCounter>();
  readonly #ring: Ring<ActivityRow>;
  readonly #held: Ring<ActivityRow>;
  readonly #schedule: (fn: () => void) => void;
  readonly #scheduleCharts: (fn: () => void) => void;
  #chartsScheduled = false;
  #incoming: Array<RequestDecidedEvent | RequestEndedEvent | ApprovalPendingEvent> = [];
  /** Rows of allowed requests whose end has not arrived yet, oldest first (bounded by capacity). */
  readonly #open = new Map<string, ActivityRow>();
  #scheduled = false;
  #seq = 0;

  constructor(opts: ActivityStoreOptions = {}) {
    this.#ring = new Ring(opts.capacity ?? 10_000);
    this.#held = new Ring(opts.capacity ?? 10_000);
    this.#schedule = opts.schedule ?? ((fn) => setTimeout(fn, 100));
    this.#scheduleCharts = opts.scheduleCharts ?? ((fn) => setTimeout(fn, 250));
    this.stats = new ActivityStats(opts.stats);
    makeObservable(this, {
      version: observable,
      statsVersion: observable,
      paused: observable,
      heldWhilePaused: observable,
      total: observable,
      filters: observable,
      rows: computed,
      sandboxes: computed,
      flush: action,
      redrawCharts: action,
      pause: action,
      resume: action,
      setFilter: action,
      clear: action,
    });
  }

  get capacity(): number {
    return this.#ring.capacity;
  }

  /** How many rows the buffer holds (all filters off). */
  get buffered(): number {
    void this.version;
    return this.#ring.size;
  }

  ingest(event: RequestDecidedEvent | RequestEndedEvent | ApprovalPendingEvent): void {
    this.#incoming.push(event);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(() => this.flush());
    }
  }

  flush(): void {
    this.#scheduled = false;
    const batch = this.#incoming;
    if (batch.length === 0) return;
    this.#incoming = [];
    const counts = new Map<string, SandboxCounter>();
    // Only the last `capacity` of a batch can be kept; all of them are counted.
    const firstKept = Math.max(0, batch.length - this.#ring.capacity);
    let decidedCount = 0;
    for (const [i, e] of batch.entries()) {
      if (e.type === 'request.ended') {
        this.#ended(e);
        this.stats.bytes(e.sandboxId, e.host, e.bytesUp + e.bytesDown);
        if (e.outcome === 'error') this.stats.failed(e.sandboxId, Date.parse(e.time));
        continue;
      }
      if (e.type === 'approval.pending') {
        this.stats.request(e.sandboxId, e.approval.host, 'waiting', Date.parse(e.time));
        continue;
      }
      decidedCount++;
      const ms = Date.parse(e.time);
      const legacyBytes = (e.bytesUp ?? 0) + (e.bytesDown ?? 0);
      this.stats.request(e.sandboxId, e.host, rateKind(e.outcome), ms, legacyBytes);
      const c = counts.get(e.sandboxId) ?? {
        ...(this.counters.get(e.sandboxId) ?? { allowed: 0, denied: 0, other: 0 }),
      };
      if (e.outcome === 'allowed') c.allowed++;
      else if (e.outcome === 'denied') c.denied++;
      else c.other++;
      counts.set(e.sandboxId, c);
      if (i < firstKept) continue;
      const row: ActivityRow = {
        key: ++this.#seq,
        id: e.id,
        time: e.time,
        ms,
        sandboxId: e.sandboxId,
        method: e.method,
        scheme: e.scheme,
        host: e.host,
        path: e.path,
        outcome: e.outcome,
        rule: ruleText(e),
        reason: e.reason,
        bytes: legacyBytes,
        decidedBy: e.decidedBy,
        ...(e.status !== undefined ? { status: e.status } : {}),
      };
      (this.paused ? this.#held : this.#ring).push(row);
      if (e.outcome === 'allowed') this.#awaitEnd(row);
    }
    for (const [id, c] of counts) this.counters.set(id, c);
    this.total += decidedCount;
    if (!this.#chartsScheduled) {
      this.#chartsScheduled = true;
      this.#scheduleCharts(() => this.redrawCharts());
    }
    if (this.paused) this.heldWhilePaused = this.#held.size;
    else this.version++;
  }

  /** Tells the charts that their counters moved. */
  redrawCharts(): void {
    this.#chartsScheduled = false;
    this.statsVersion++;
  }

  #awaitEnd(row: ActivityRow): void {
    this.#open.set(row.id, row);
    if (this.#open.size > this.#ring.capacity) {
      const oldest = this.#open.keys().next().value;
      if (oldest !== undefined) this.#open.delete(oldest);
    }
  }

  /** Fill in how a request ended on its row (if the row is still held). */
  #ended(e: RequestEndedEvent): void {
    const row = this.#open.get(e.id);
    if (!row) return;
    this.#open.delete(e.id);
    row.bytes = e.bytesUp + e.bytesDown;
    if (e.status !== undefined) row.status = e.status;
    if (e.redactions && Object.keys(e.redactions).length > 0) row.redactions = { ...e.redactions };
    if (e.outcome !== 'allowed') {
      row.outcome = e.outcome;
      row.reason = e.reason;
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    for (const row of this.#held.newestFirst().reverse()) this.#ring.push(row);
    this.#held.clear();
    this.heldWhilePaused = 0;
    this.paused = false;
    this.version++;
  }

  setFilter<K extends keyof ActivityFilters>(key: K, value: ActivityFilters[K]): void {
    this.filters = { ...this.filters, [key]: value };
  }

  clear(): void {
    this.#ring.clear();
    this.#open.clear();
    this.#held.clear();
    this.counters.clear();
    this.stats.clear();
    this.statsVersion++;
    this.total = 0;
    this.heldWhilePaused = 0;
    this.version++;
  }

  /** The rows shown: newest first, filtered. */
  get rows(): ActivityRow[] {
    void this.version;
    const { sandbox, outcome, host, range } = this.filters;
    const needle = host.trim().toLowerCase();
    if (!sandbox && !outcome && !needle && !range) return this.#ring.newestFirst();
    return this.#ring.newestFirst(
      (r) =>
        (!sandbox || r.sandboxId === sandbox) &&
        (!outcome || r.outcome === outcome) &&
        (!needle || r.host.toLowerCase().includes(needle)) &&
        (!range || (r.ms >= range.from && r.ms < range.to)),
    );
  }

  get sandboxes(): string[] {
    return [...this.counters.keys()].sort();
  }
}
