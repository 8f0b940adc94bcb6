// Requests per second by outcome over the last minutes, for the sandbox chosen in the
// toolbar (or all). Dragging across the chart picks a time range that filters the table.

import { observer } from 'mobx-react-lite';
import { useEffect, useState } from 'react';
import type uPlot from 'uplot';
import type { ActivityStore } from '../../stores/activity.ts';
import { RATE_KINDS } from '../../stores/activity-stats.ts';
import { Chart } from './Chart.tsx';
import { AXIS, GRID, KIND_COLOR } from './colors.ts';

/** The current time, refreshed every `ms` so the window slides without events. */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

function rateOptions(width: number, onRange: (from: number, to: number) => void): uPlot.Options {
  return {
    width,
    height: 160,
    legend: { show: false },
    cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
    select: { show: true, left: 0, top: 0, width: 0, height: 0 },
    scales: { y: { range: (_u, _min, max) => [0, Math.max(5, max * 1.1)] } },
    axes: [
      { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID } },
      { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID }, size: 44, label: 'req/s' },
    ],
    series: [
      {},
      ...RATE_KINDS.map((k) => ({
        label: k,
        stroke: KIND_COLOR[k],
        fill: `${KIND_COLOR[k]}22`,
        width: 1.5,
        points: { show: false },
      })),
    ],
    hooks: {
      setSelect: [
        (u: uPlot) => {
          if (u.select.width < 3) return;
          const from = u.posToVal(u.select.left, 'x');
          const to = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          // Whole seconds, the end's second included: the chart counts by second.
          onRange(Math.floor(from) * 1000, (Math.floor(to) + 1) * 1000);
        },
      ],
    },
  };
}

export const RateChart = observer(function RateChart({ store }: { store: ActivityStore }) {
  // The tick only re-renders each second; the window ends at the time of this render (a
  // redraw for new events may come just after a second began, before the next tick).
  useNow(1000);
  void store.statsVersion;
  const now = Date.now();
  const sandbox = store.filters.sandbox;
  const { x, y } = store.stats.rate(sandbox, now);
  const totals = y.map((s) => s.reduce((a, b) => a + b, 0));
  const minutes = Math.round(store.stats.seconds / 60);
  const summary = RATE_KINDS.map((k, i) => `${totals[i]} ${k}`).join(', ');
  return (
    <figure className="chart-card rate-card">
      <figcaption>
        Requests per second, last {minutes} minutes{sandbox ? ` · ${sandbox}` : ' · all sandboxes'}
        <span className="legend">
          {RATE_KINDS.map((k, i) => (
            <span key={k} className="legend-item" data-kind={k}>
              <i style={{ background: KIND_COLOR[k] }} />
              {k} <b>{totals[i]!.toLocaleString()}</b>
            </span>
          ))}
        </span>
      </figcaption>
      <Chart
        className="rate-chart"
        label={`Requests per second by outcome over the last ${minutes} minutes: ${summary}. Drag across the chart to show only that time in the table.`}
        optionsKey="rate"
        options={(w) => rateOptions(w, (from, to) => store.setFilter('range', { from, to }))}
        data={[x, ...y]}
        dataAttrs={{ 'data-from': x[0]! * 1000, 'data-to': x[x.length - 1]! * 1000 }}
      />
    </figure>
  );
});
