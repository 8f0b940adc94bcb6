// The status bar item: a shield with the number of pending approvals; a click opens the
// Agents page. It shows the connection's trouble too (a struck shield), so a stopped
// daemon is seen without opening the page.

import { observer } from 'mobx-react';
import React from 'react';
import type { WardenStore } from './store.ts';

export function Shield({ size = 14 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" className="warden-shield">
      <path
        fill="currentColor"
        d="M12 2 4 5v6c0 5.2 3.4 9.9 8 11 4.6-1.1 8-5.8 8-11V5l-8-3Zm0 2.2 6 2.2V11c0 4.1-2.6 7.9-6 8.9-3.4-1-6-4.8-6-8.9V6.4l6-2.2Z"
      />
    </svg>
  );
}

export const StatusBarItem = observer(function StatusBarItem({
  store,
  open,
}: {
  store: WardenStore;
  open: () => void;
}) {
  const kind = store.snapshot?.connection.kind ?? 'connecting';
  const n = store.pending;
  const label =
    kind === 'connected'
      ? n === 0
        ? 'Warden: nothing waiting'
        : `Warden: ${n} pending approval${n === 1 ? '' : 's'}`
      : `Warden: ${kind === 'daemon-absent' ? 'daemon not running' : kind.replace('-', ' ')}`;
  return (
    <button
      type="button"
      className={`warden-status ${kind}${n > 0 ? ' waiting' : ''}`}
      onClick={open}
      title={label}
      aria-label={label}
      data-warden-status={kind}
    >
      <Shield />
      <span className="warden-count">{kind === 'connected' ? n : '!'}</span>
    </button>
  );
});
