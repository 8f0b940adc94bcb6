// A sandbox's tokens today (UTC), cumulative per model at each hour's end, against its daily
// token budget (a dashed line at the limit). Redrawn with setData as usage arrives.

import type uPlot from 'uplot';
import type { SandboxSpend } from '../../../supervisor/api/spend.ts';
import { tokens as formatTokens } from '../../../supervisor/api/spend-format.ts';
import { cumulativeToday } from '../../stores/spend.ts';
import { Chart } from './Chart.tsx';
import { AXIS, GRID, KIND_COLOR, MODEL_COLORS } from './colors.ts';

function spendOptions(width: number, models: string[], limit: number | undefined): uPlot.Options {
  return {
    width,
    height: 170,
    legend: { show: false },
    cursor: { points: { show: false } },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    scales: {
      x: { time: true },
      y: { range: (_u, _min, max) => [0, Math.max(10, max, limit ?? 0) * 1.1] },
    },
    axes: [
      { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID } },
      { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID }, size: 60, label: 'tokens' },
    ],
    series: [
      {},
      ...models.map((m, i) => ({
        label: m,
        stroke: MODEL_COLORS[i % MODEL_COLORS.length],
        width: 1.75,
        points: { show: false },
      })),
      ...(limit !== undefined
        ? [
            {
              label: 'daily limit',
              stroke: KIND_COLOR.denied,
              dash: [6, 4],
              width: 1.25,
              points: { show: false },
            },
          ]
        : []),
    ],
  };
}

export function SpendChart({ sb, day, now }: { sb: SandboxSpend; day: string; now: number }) {
  const { x, models, y } = cumulativeToday(sb, day, now);
  const limit = sb.limits.find((l) => l.per === 'day' && l.limitTokens !== undefined)?.limitTokens;
  const total = y.reduce((sum, s) => sum + (s[s.length - 1] ?? 0), 0);
  const data = [x, ...y, ...(limit !== undefined ? [x.map(() => limit)] : [])] as uPlot.AlignedData;
  const against = limit !== undefined ? ` of a daily limit of ${formatTokens(limit)}` : '';
  return (
    <figure className="chart-card spend-card" data-sandbox={sb.sandboxId}>
      <figcaption>
        Tokens today (UTC), cumulative
        <span className="legend">
          {models.map((m, i) => (
            <span key={m} className="legend-item" data-model={m}>
              <i style={{ background: MODEL_COLORS[i % MODEL_COLORS.length] }} />
              {m} <b>{formatTokens(y[i]?.[y[i]!.length - 1] ?? 0)}</b>
            </span>
          ))}
          {limit !== undefined ? (
            <span className="legend-item limit" data-limit={limit}>
              <i style={{ background: KIND_COLOR.denied }} />
              limit <b>{formatTokens(limit)}</b>
            </span>
          ) : null}
        </span>
      </figcaption>
      <Chart
        className="spend-chart"
        label={`Tokens of ${sb.sandboxId} today: ${formatTokens(total)}${against}, per model: ${models.join(', ') || 'none yet'}`}
        optionsKey={`${models.join(',')}|${limit ?? ''}`}
        options={(w) => spendOptions(w, models, limit)}
        data={data}
        dataAttrs={{ 'data-total': total }}
      />
    </figure>
  );
}
