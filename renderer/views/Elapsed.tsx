// Work whose length the daemon does not report (a VM's cold boot, a chain verification):
// an indeterminate progress bar with the time it has taken so far.

import { useState } from 'react';
import { useNow } from './charts/RateChart.tsx';

export function Elapsed({ what }: { what: string }) {
  const [start] = useState(() => Date.now());
  const now = useNow(200);
  const seconds = Math.max(0, (now - start) / 1000);
  return (
    <span className="elapsed" role="status">
      <progress aria-label={what} />
      {what}: {seconds.toFixed(1)} s
    </span>
  );
}
