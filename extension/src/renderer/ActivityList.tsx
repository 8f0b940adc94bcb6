// The live activity: the last decided requests of every sandbox, newest first, filtered by
// sandbox, outcome and text (method, host or path). Main keeps and sends the rows.

import { observer } from 'mobx-react';
import React from 'react';
import type { ActivityRow } from '../common/ipc.ts';
import type { WardenStore } from './store.ts';

const OUTCOMES: Array<ActivityRow['outcome']> = ['allowed', 'denied', 'timed_out', 'error'];

function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString();
}

export const ActivityList = observer(function ActivityList({ store }: { store: WardenStore }) {
  const rows = store.shownActivity;
  const f = store.filters;
  return (
    <section className="warden-section" aria-labelledby="warden-activity-title">
      <h2 id="warden-activity-title">Activity</h2>
      <div className="warden-toolbar">
        <label>
          Sandbox{' '}
          <select
            aria-label="Filter by sandbox"
            value={f.sandbox}
            onChange={(e) => store.setFilter('sandbox', e.target.value)}
          >
            <option value="">all</option>
            {store.sandboxIds.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Outcome{' '}
          <select
            aria-label="Filter by outcome"
            value={f.outcome}
            onChange={(e) => store.setFilter('outcome', e.target.value as '' | ActivityRow['outcome'])}
          >
            <option value="">all</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search{' '}
          <input
            type="search"
            aria-label="Filter by method, host or path"
            value={f.text}
            placeholder="host or path"
            onChange={(e) => store.setFilter('text', e.target.value)}
          />
        </label>
        <span className="warden-muted">
          {rows.length} of {store.activity.length}
        </span>
      </div>
      {store.activity.length === 0 ? (
        <p className="warden-muted">No request yet: each one a sandbox makes shows here as it is decided.</p>
      ) : (
        <table className="warden-table warden-activity">
          <thead>
            <tr>
              <th>Time</th>
              <th>Sandbox</th>
              <th>Request</th>
              <th>Outcome</th>
              <th>Decided by</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} className={`outcome-${r.outcome}`} data-activity={r.id}>
                <td>{clock(r.time)}</td>
                <td>{r.sandboxId}</td>
                <td className="warden-target">
                  {r.method} {r.scheme}://{r.host}
                  {r.port === 80 || r.port === 443 ? '' : `:${r.port}`}
                  {r.path}
                </td>
                <td>
                  <span className={`warden-pill ${r.outcome}`}>{r.outcome.replace('_', ' ')}</span>
                  {r.status !== undefined ? ` ${r.status}` : ''}
                </td>
                <td title={r.reason}>{r.rule}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
});
