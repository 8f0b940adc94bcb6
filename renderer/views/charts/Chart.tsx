// One uPlot chart sized to its container: the uplot-react binding keeps the canvas and
// takes new data with setData (nothing else re-renders); options are rebuilt only when the
// width or the caller's option key changes.

import { useEffect, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import UplotReact from 'uplot-react';

/** The width of an element, followed as it resizes. */
function useWidth(min: number): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(min, Math.floor(el.clientWidth)));
    measure();
    const obs = new ResizeObserver(measure);
    obs.observe(el);
    return () => obs.disconnect();
  }, [min]);
  return [ref, width];
}

export interface ChartProps {
  /** Builds the options for a width; called again only when the width or `optionsKey` changes. */
  options: (width: number) => uPlot.Options;
  optionsKey: string;
  data: uPlot.AlignedData;
  className?: string;
  label: string;
  /** Extra attributes on the chart's box (e.g. the x range, for tests and tools). */
  dataAttrs?: Record<`data-${string}`, string | number>;
  /** When it changes, the axes are computed again (uPlot caches them while the scales hold). */
  axesKey?: string;
}

export function Chart({ options, optionsKey, data, className, label, dataAttrs, axesKey }: ChartProps) {
  const [ref, width] = useWidth(160);
  const chart = useRef<uPlot | null>(null);
  useEffect(() => {
    if (axesKey !== undefined) chart.current?.redraw(false, true);
  }, [axesKey]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt on purpose only for a new width or key.
  const opts = useMemo(() => (width > 0 ? options(width) : null), [width, optionsKey]);
  return (
    <div ref={ref} className={`chart ${className ?? ''}`} role="img" aria-label={label} {...dataAttrs}>
      {opts ? (
        <UplotReact
          options={opts}
          data={data}
          onCreate={(u) => {
            chart.current = u;
          }}
          onDelete={() => {
            chart.current = null;
          }}
        />
      ) : null}
    </div>
  );
}
