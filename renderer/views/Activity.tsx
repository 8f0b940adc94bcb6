// The live feed of every decision across sandboxes: virtualized, filterable, pausable.

import { useVirtualizer } from '@tanstack/react-virtual';
import { observer } from 'mobx-react-lite';
import { useRef } from 'react';
import type { RequestOutcome } from '../../supervisor/api/events.ts';
import { type ActivityStore, describeRedactions } from '../stores/activity.ts';
import { HostBars } from './charts/HostBars.tsx';
import { RateChart } from './charts/RateChart.tsx';
import { Empty, formatBytes, formatTime } from './common.tsx';

const ROW = 30;
const rowSize = () => ROW;
// Rows are keyed by position, not by row: new rows arrive at the top and shift every row
// down, so keying by row would replace each visible row's DOM on every flush (hundreds of
// nodes created and collected per second); by position React only updates their text.
// Both callbacks are module constants: a new function each render makes the virtualizer
// measure all 10,000 rows again.
const byPosition = (i: number) => i;

export const ActivityView = observer(function ActivityView({ store }: { store: ActivityStore }) {
  const rows = store.rows;
  const parent = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parent.current,
    estimateSize: rowSize,
    overscan: 10,
    getItemKey: byPosition,
  });
  return (
    <section className="view activity" aria-labelledby="activity-title">
      <header className="view-head">
        <h1 id="activity-title">Activity</h1>
        <div className="toolbar">
          <label>
            Sandbox{' '}
            <select
              value={store.filters.sandbox}
              onChange={(e) => store.setFilter('sandbox', e.target.value)}
            >
              <option value="">all</option>
              {store.sandboxes.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Outcome{' '}
            <select
              value={store.filters.outcome}
              onChange={(e) => store.setFilter('outcome', e.target.value as '' | RequestOutcome)}
            >
              <option value="">all</option>
              <option value="allowed">allowed</option>
              <option value="denied">denied</option>
              <option value="timed_out">timed out</option>
              <option value="error">error</option>
            </select>
          </label>
          <label>
            Host{' '}
            <input
              type="search"
              value={store.filters.host}
              placeholder="filter"
              onChange={(e) => store.setFilter('host', e.target.value)}
            />
          </label>
          {store.filters.range ? (
            <button
              type="button"
              className="chip range-chip"
              onClick={() => store.setFilter('range', null)}
              title="Show every time again"
            >
              Time {formatTime(new Date(store.filters.range.from).toISOString())}–
              {formatTime(new Date(store.filters.range.to).toISOString())} <span aria-hidden="true">×</span>
              <span className="sr-only">clear the time range</span>
            </button>
          ) : null}
          <button
            type="button"
            aria-pressed={store.paused}
            onClick={() => (store.paused ? store.resume() : store.pause())}
            title="Pause or resume the feed (p)"
          >
            {store.paused ? `Resume (${store.heldWhilePaused} new)` : 'Pause'}
          </button>
        </div>
      </header>
      <section className="charts" aria-label="Activity charts">
        <RateChart store={store} />
        <HostBars store={store} by="requests" />
        <HostBars store={store} by="bytes" />
      </section>
      {store.counters.size > 0 ? (
        <ul className="counters" aria-label="Requests per sandbox">
          {store.sandboxes.map((s) => {
            const c = store.counters.get(s)!;
            return (
              <li key={s}>
                <strong>{s}</strong> <span className="outcome allowed">{c.allowed} allowed</span>{' '}
                <span className="outcome denied">{c.denied} denied</span>
                {c.other ? <span className="outcome error"> {c.other} other</span> : null}
              </li>
            );
          })}
        </ul>
      ) : null}
      {/* The table stays mounted while the feed is empty: the first events then only add
          rows, instead of mounting the table, its virtualizer and its measurements in the
          same task as the first render of a batch. */}
      <div className="table activity-table">
        <div className="row head">
          <span>Time</span>
          <span>Sandbox</span>
          <span>Method</span>
          <span>Host</span>
          <span>Path</span>
          <span>Outcome</span>
          <span>Rule</span>
          <span className="num">Bytes</span>
        </div>
        <div className="scroller" ref={parent}>
          {rows.length === 0 ? (
            store.total === 0 ? (
              <Empty title="No requests yet.">
                Every request a sandbox makes through its proxy appears here as it is decided. Start one with{' '}
                <code>warden run</code> or <code>warden proxy</code>.
              </Empty>
            ) : (
              <Empty title="No request matches these filters.">
                Clear the filters to see the whole feed.
              </Empty>
            )
          ) : (
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualizer.getVirtualItems().map((v) => {
                const r = rows[v.index]!;
                return (
                  <div
                    key={v.key}
                    className="row"
                    data-outcome={r.outcome}
                    title={
                      r.redactions ? `${r.reason}\nredacted: ${describeRedactions(r.redactions)}` : r.reason
                    }
                    style={{ transform: `translateY(${v.start}px)`, height: ROW }}
                  >
                    <span>{formatTime(r.time)}</span>
                    <span>{r.sandboxId}</span>
                    <span>{r.method}</span>
                    <span>{r.host}</span>
                    <span className="path">
                      {r.path}
                      {r.redactions ? (
                        <span className="redacted" title={`redacted: ${describeRedactions(r.redactions)}`}>
                          {' '}
                          redacted: {describeRedactions(r.redactions)}
                        </span>
                      ) : null}
                    </span>
                    <span className={`outcome ${r.outcome}`}>
                      {r.outcome}
                      {r.status ? ` ${r.status}` : ''}
                    </span>
                    <span className="rule">{r.rule}</span>
                    <span className="num">{formatBytes(r.bytes)}</span>
                  </div>
                );
              })}
            </div>
          )}
        </div>
      </div>
      <footer className="view-foot">
        {store.total.toLocaleString()} decisions seen; showing {rows.length.toLocaleString()} (the last{' '}
        {store.capacity.toLocaleString()} are kept).
      </footer>
    </section>
  );
});
