// Audit records per time bucket, stacked by kind, over the filters' range. Dragging across
// it picks a narrower range: the table and the histogram both follow.

import { observer } from 'mobx-react-lite';
import uPlot from 'uplot';
import { AUDIT_KINDS, type AuditHistogram } from '../../../supervisor/api/audit-types.ts';
import type { AuditStore } from '../../stores/lists.ts';
import { Chart } from './Chart.tsx';
import { AXIS, GRID } from './colors.ts';

// One colour per kind, stable across ranges (by its place in AUDIT_KINDS).
const PALETTE = [
  '#2456c9',
  '#1f7a3f',
  '#9a5b00',
  '#b42318',
  '#6b3fb4',
  '#0f7b8a',
  '#c2185b',
  '#5c6878',
  '#8a6d00',
  '#3f51b5',
  '#2e7d32',
  '#ad1457',
  '#00838f',
  '#6d4c41',
  '#455a64',
];
export const kindColor = (kind: string) =>
  PALETTE[Math.max(0, AUDIT_KINDS.indexOf(kind as never)) % PALETTE.length]!;

const bars = uPlot.paths.bars!({ size: [0.92, 60], align: 1 });

/** Cumulative series, largest first: drawn in that order, each bar's top band is its kind. */
export function stacked(h: AuditHistogram): { kinds: string[]; data: uPlot.AlignedData } {
  const x = h.starts.map((t) => t / 1000);
  const running = new Array<number>(x.length).fill(0);
  const layers = h.kinds.map((k) => {
    for (let i = 0; i < running.length; i++) running[i]! += k.counts[i] ?? 0;
    return [...running];
  });
  return { kinds: h.kinds.map((k) => k.kind).reverse(), data: [x, ...layers.reverse()] };
}

function histogramOptions(
  width: number,
  kinds: string[],
  onRange: (from: number, to: number) => void,
  bucketS: number,
) {
  return {
    width,
    height: 150,
    legend: { show: false },
    cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
    scales: {
      x: { range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [min, max + bucketS] },
      y: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, Math.max(4, max * 1.1)] },
    },
    axes: [
      { stroke: AXIS, grid: { show: false }, ticks: { stroke: GRID } },
      { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID }, size: 48 },
    ],
    series: [
      {},
      ...kinds.map((k) => ({
        label: k,
        stroke: kindColor(k),
        fill: kindColor(k),
        width: 0,
        paths: bars,
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
          onRange(Math.floor(from * 1000), Math.ceil(to * 1000));
        },
      ],
    },
  } satisfies uPlot.Options;
}

export const AuditHistogramChart = observer(function AuditHistogramChart({ store }: { store: AuditStore }) {
  const h = store.histogram.value;
  if (!h) return <figure className="chart-card audit-histogram-card" aria-busy="true" />;
  const { kinds, data } = stacked(h);
  const bucketS = h.bucketMs / 1000;
  const summary = h.kinds.map((k) => `${k.counts.reduce((a, b) => a + b, 0)} ${k.kind}`).join(', ');
  return (
    <figure className="chart-card audit-histogram-card">
      <figcaption>
        {h.total.toLocaleString()} records from {new Date(h.since).toLocaleString([], { hour12: false })} to{' '}
        {new Date(h.until).toLocaleString([], { hour12: false })}
        <span className="legend">
          {h.kinds.map((k) => (
            <span key={k.kind} className="legend-item" data-kind={k.kind}>
              <i style={{ background: kindColor(k.kind) }} />
              {k.kind} <b>{k.counts.reduce((a, b) => a + b, 0).toLocaleString()}</b>
            </span>
          ))}
        </span>
      </figcaption>
      <Chart
        className="audit-histogram"
        label={`Audit records per ${Math.round(bucketS)} s by kind: ${summary || 'none'}. Drag across the chart to show only that time.`}
        optionsKey={`${kinds.join(',')}|${bucketS}`}
        options={(w) => histogramOptions(w, kinds, (from, to) => void store.pickRange(from, to), bucketS)}
        data={data}
        dataAttrs={{ 'data-from': h.since, 'data-to': h.starts[h.starts.length - 1]! + h.bucketMs }}
      />
    </figure>
  );
});
