// Model spend per sandbox and model: the totals, the last hours and each budget's standing,
// fetched from GET /v1/spend when the view opens (and on reconnect), then kept live from the
// `request.ended` events that carry usage. A record of another UTC day or month than the
// fetched one (the day rolled over) fetches again instead of guessing.

import { makeObservable, observable, runInAction } from 'mobx';
import type { RequestEndedEvent } from '../../supervisor/api/events.ts';
import {
  emptyModelSpend,
  type ModelSpend,
  type RequestUsage,
  type SandboxSpend,
  type SpendView,
} from '../../supervisor/api/spend.ts';
import type { WardenClient } from '../client/client.ts';
import { Resource } from './resource.ts';

const HOUR_MS = 3_600_000;
const HOURS_KEPT = 48;
const REDRAW_MS = 250;

export const usageTokens = (u: RequestUsage | ModelSpend): number =>
  u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;

const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;

export class SpendStore {
  readonly view: Resource<SpendView>;
  /** Bumped when live records changed the view in place (at most every REDRAW_MS). */
  version = 0;
  #redraw: ReturnType<typeof setTimeout> | undefined;

  constructor(client: WardenClient) {
    this.view = new Resource(() => client.modelSpend());
    makeObservable(this, { version: observable });
  }

  load(): Promise<void> {
    return this.view.load();
  }

  get sandboxes(): SandboxSpend[] {
    void this.version;
    return this.view.value?.sandboxes ?? [];
  }

  onEvent(event: RequestEndedEvent): void {
    const usage = event.usage;
    const view = this.view.value;
    if (!usage || !view) return;
    const time = new Date(event.time);
    const day = time.toISOString().slice(0, 10);
    if (day !== view.day) {
      // Another day (or a clock this view did not start from): the daemon's figures win.
      if (day > view.day) void this.load();
      return;
    }
    let sb = view.sandboxes.find((s) => s.sandboxId === event.sandboxId);
    if (!sb) {
      sb = {
        sandboxId: event.sandboxId,
        today: { tokens: 0, costUsd: 0 },
        month: { tokens: 0, costUsd: 0 },
        models: [],
        hours: [],
        limits: [],
      };
      view.sandboxes.push(sb);
      view.sandboxes.sort((a, b) => a.sandboxId.localeCompare(b.sandboxId));
    }
    const tokens = usageTokens(usage);
    const cost = usage.costUsd ?? 0;
    for (const t of [sb.today, sb.month]) {
      t.tokens += tokens;
      t.costUsd = round(t.costUsd + cost);
    }
    for (const l of sb.limits) {
      l.spent.tokens += tokens;
      l.spent.costUsd = round(l.spent.costUsd + cost);
    }
    let row = sb.models.find((m) => m.model === usage.model && m.api === usage.api);
    if (!row) {
      row = emptyModelSpend(usage.model, usage.api);
      sb.models.push(row);
    }
    row.requests++;
    row.inputTokens += usage.inputTokens;
    row.outputTokens += usage.outputTokens;
    row.cacheReadTokens += usage.cacheReadTokens;
    row.cacheWriteTokens += usage.cacheWriteTokens;
    if (usage.costUsd === null) row.unpriced++;
    else row.costUsd = round(row.costUsd + usage.costUsd);
    sb.models.sort((a, b) => b.costUsd - a.costUsd || a.model.localeCompare(b.model));
    const hour = Math.floor(time.getTime() / HOUR_MS) * HOUR_MS;
    const point = sb.hours.find((p) => p.hour === hour && p.model === usage.model);
    if (point) {
      point.tokens += tokens;
      point.costUsd = round(point.costUsd + cost);
    } else sb.hours.push({ hour, model: usage.model, tokens, costUsd: cost });
    const oldest = hour - (HOURS_KEPT - 1) * HOUR_MS;
    sb.hours = sb.hours.filter((p) => p.hour >= oldest).sort((a, b) => a.hour - b.hour);
    // Records can come by the hundred a second: the view is redrawn for them together.
    this.#redraw ??= setTimeout(() => {
      this.#redraw = undefined;
      runInAction(() => this.version++);
    }, REDRAW_MS);
  }
}

/** Today's (UTC) tokens per model, cumulative at each hour's end: the chart's series. */
export function cumulativeToday(
  sb: SandboxSpend,
  day: string,
  now: number,
): { x: number[]; models: string[]; y: number[][] } {
  const start = Date.parse(`${day}T00:00:00Z`);
  const lastHour = Math.min(Math.floor((now - start) / HOUR_MS), 23);
  const x: number[] = [];
  for (let h = 0; h <= lastHour + 1; h++) x.push((start + h * HOUR_MS) / 1000);
  const today = sb.hours.filter((p) => p.hour >= start && p.hour < start + 24 * HOUR_MS);
  const models = [...new Set(today.map((p) => p.model))].sort();
  const y = models.map((model) => {
    const out: number[] = [0];
    let sum = 0;
    for (let h = 0; h <= lastHour; h++) {
      for (const p of today) if (p.model === model && p.hour === start + h * HOUR_MS) sum += p.tokens;
      out.push(sum);
    }
    return out;
  });
  return { x, models, y };
}
