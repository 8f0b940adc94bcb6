// The top hosts by requests or by bytes as horizontal bars, for the sandbox chosen in the
// toolbar (or all). Clicking a bar shows only that host's requests in the table.

import { observer } from 'mobx-react-lite';
import { useRef } from 'react';
import uPlot from 'uplot';
import type { ActivityStore } from '../../stores/activity.ts';
import type { HostTotal } from '../../stores/activity-stats.ts';
import { formatBytes } from '../common.tsx';
import { Chart } from './Chart.tsx';
import { ACCENT, AXIS, GRID } from './colors.ts';

const TOP = 8;
const bars = uPlot.paths.bars!({ size: [0.7, 28] });

function barOptions(
  width: number,
  by: 'requests' | 'bytes',
  hosts: () => HostTotal[],
  onPick: (host: string) => void,
): uPlot.Options {
  const name = (i: number) => {
    const h = hosts()[i]?.host ?? '';
    return h.length > 28 ? `…${h.slice(-27)}` : h;
  };
  return {
    width,
    height: 40 + TOP * 22,
    legend: { show: false },
    cursor: { drag: { x: false, y: false, setScale: false }, points: { show: false } },
    // Bars top to bottom (ori 1: the x scale runs down the side); one slot per rank.
    scales: {
      x: { time: false, ori: 1, dir: -1, range: [-0.5, TOP - 0.5] },
      y: { ori: 0, dir: 1, range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] },
    },
    axes: [
      {
        side: 3,
        stroke: AXIS,
        size: 190,
        grid: { show: false },
        ticks: { show: false },
        splits: () => Array.from({ length: TOP }, (_, i) => i),
        values: (_u, splits) => splits.map(name),
      },
      {
        side: 0,
        stroke: AXIS,
        grid: { stroke: GRID, width: 1 },
        ticks: { stroke: GRID },
        values: (_u, splits) => splits.map((v) => (by === 'bytes' ? formatBytes(v) : v.toLocaleString())),
      },
    ],
    series: [
      {},
      { label: by, stroke: ACCENT, fill: `${ACCENT}bb`, width: 0, paths: bars, points: { show: false } },
    ],
    hooks: {
      ready: [
        (u: uPlot) => {
          u.over.style.cursor = 'pointer';
          u.over.addEventListener('click', () => {
            const i = u.cursor.idx;
            const host = i == null ? undefined : hosts()[i]?.host;
            if (host) onPick(host);
          });
        },
      ],
    },
  };
}

export const HostBars = observer(function HostBars({
  store,
  by,
}: {
  store: ActivityStore;
  by: 'requests' | 'bytes';
}) {
  void store.statsVersion;
  const top = store.stats.topHosts(store.filters.sandbox, by, TOP);
  // The click handler reads the ranks drawn now, not those of the first render.
  const latest = useRef(top);
  latest.current = top;
  const label = top.length
    ? `Top hosts by ${by}: ${top.map((t) => `${t.host} ${by === 'bytes' ? formatBytes(t.bytes) : t.requests}`).join(', ')}. Click a bar to show only that host.`
    : `No hosts by ${by} yet.`;
  return (
    <figure className="chart-card hosts-card" data-by={by}>
      <figcaption>Top hosts by {by}</figcaption>
      <Chart
        className="host-bars"
        label={label}
        optionsKey={by}
        options={(w) =>
          barOptions(
            w,
            by,
            () => latest.current,
            (h) => store.setFilter('host', h),
          )
        }
        data={[top.map((_, i) => i), top.map((t) => t[by])]}
        dataAttrs={{ 'data-hosts': top.map((t) => t.host).join(' ') }}
        axesKey={top.map((t) => t.host).join(' ')}
      />
    </figure>
  );
});
