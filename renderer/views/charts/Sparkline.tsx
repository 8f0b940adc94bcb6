// A small line of one or two series over time (no axes): a sandbox's CPU, memory or network.

import type uPlot from 'uplot';
import { Chart } from './Chart.tsx';

export interface SparkSeries {
  label: string;
  color: string;
  values: Array<number | null>;
}

function sparkOptions(width: number, series: SparkSeries[], min: number | null): uPlot.Options {
  return {
    width,
    height: 28,
    legend: { show: false },
    cursor: { show: false },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    scales: {
      x: { time: true },
      // A little room below the lowest value, so a line at zero is not cut by the edge.
      y: {
        range: (_u, lo, hi) => {
          const bottom = min ?? lo;
          const top = Math.max(hi * 1.1, bottom + 1);
          return [bottom - (top - bottom) * 0.08, top];
        },
      },
    },
    axes: [{ show: false }, { show: false }],
    series: [
      {},
      ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.25, points: { show: false } })),
    ],
  };
}

export function Sparkline({
  label,
  t,
  series,
  min = 0,
  text,
}: {
  label: string;
  t: number[];
  series: SparkSeries[];
  /** The y axis starts here (null: at the lowest value). */
  min?: number | null;
  /** The latest value in words, shown beside the line. */
  text: string;
}) {
  return (
    <div className="sparkline" data-label={label}>
      <Chart
        className="spark"
        label={`${label}: ${text}`}
        optionsKey={series.map((s) => s.label).join(',')}
        options={() => sparkOptions(120, series, min)}
        // Copies: the store appends to its arrays in place, and the binding compares by value
        // against the arrays it was given last (the same ones would always look unchanged).
        data={[[...t], ...series.map((s) => [...s.values])] as uPlot.AlignedData}
      />
      <span className="spark-text">{text}</span>
    </div>
  );
}
