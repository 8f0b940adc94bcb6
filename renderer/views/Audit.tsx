// The audit trail: a histogram of records by kind over the chosen range (brush to narrow
// it), the table filterable and paged with a cursor (newest first, virtualized), and the
// hash chain's verification status as a badge, with Verify now and Export… (AuditChain.tsx).

import { useVirtualizer } from '@tanstack/react-virtual';
import { observer } from 'mobx-react-lite';
import { useEffect, useRef, useState } from 'react';
import { AUDIT_KINDS, type AuditRecord } from '../../supervisor/api/audit-types.ts';
import type { AuditTaskStore } from '../stores/audit-tasks.ts';
import type { AuditFilters, AuditStore } from '../stores/lists.ts';
import { AuditChainHeader } from './AuditChain.tsx';
import { AuditHistogramChart } from './charts/AuditHistogram.tsx';
import { Empty, ErrorBox, Loading } from './common.tsx';

const ROW = 30;

function summary(r: AuditRecord): string {
  const o = r.ocsf as Record<string, unknown> & {
    message?: string;
    http_request?: { http_method?: string; url?: { path?: string } };
  };
  if (typeof o.message === 'string') return o.message;
  const req = o.http_request;
  if (req) return `${req.http_method ?? ''} ${req.url?.path ?? ''}`;
  return '';
}

export const AuditView = observer(function AuditView({
  store,
  tasks,
}: {
  store: AuditStore;
  tasks: AuditTaskStore;
}) {
  const [draft, setDraft] = useState<AuditFilters>(store.filters);
  // A range picked on the histogram shows in the Since and Until fields.
  const filters = store.filters;
  useEffect(() => setDraft(filters), [filters]);
  const parent = useRef<HTMLDivElement>(null);
  const records = store.records;
  const virtualizer = useVirtualizer({
    count: records.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW,
    overscan: 10,
  });
  const field = (key: keyof AuditFilters, label: string, placeholder = '') => (
    <label>
      {label}{' '}
      <input
        value={draft[key]}
        placeholder={placeholder}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
    </label>
  );
  return (
    <section className="view audit" aria-labelledby="audit-title">
      <header className="view-head">
        <h1 id="audit-title">Audit</h1>
        <AuditChainHeader store={store} tasks={tasks} />
      </header>
      <form
        className="toolbar filters"
        onSubmit={(e) => {
          e.preventDefault();
          store.setFilters(draft);
          void store.load(true);
        }}
      >
        {field('sandbox', 'Sandbox')}
        <label>
          Kind{' '}
          <select value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value })}>
            <option value="">all</option>
            {AUDIT_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        {field('host', 'Host')}
        <label>
          Outcome{' '}
          <select value={draft.outcome} onChange={(e) => setDraft({ ...draft, outcome: e.target.value })}>
            <option value="">all</option>
            <option value="allowed">allowed</option>
            <option value="denied">denied</option>
            <option value="timed_out">timed out</option>
            <option value="error">error</option>
          </select>
        </label>
        {field('package', 'Package', 'name or name@1.2.3')}
        {field('since', 'Since', '1h, 7d or a date (24h)')}
        {field('until', 'Until', 'now')}
        <button type="submit">Apply filters</button>
        {store.filters.until ? (
          <button
            type="button"
            className="chip range-chip"
            title="Back to the last day"
            onClick={() => {
              const reset = { since: '', until: '' };
              setDraft({ ...draft, ...reset });
              store.setFilters(reset);
              void store.load(true);
            }}
          >
            Whole range <span aria-hidden="true">×</span>
          </button>
        ) : null}
      </form>
      <AuditHistogramChart store={store} />
      {store.error ? <ErrorBox error={store.error} onRetry={() => void store.load(true)} /> : null}
      {!store.loaded && store.loading ? <Loading what="the audit trail" /> : null}
      {store.loaded && records.length === 0 ? (
        <Empty title="No record matches.">Every decision, approval and change is recorded here.</Empty>
      ) : null}
      {records.length > 0 ? (
        <div className="table audit-table">
          <div className="row head">
            <span>#</span>
            <span>Time</span>
            <span>Kind</span>
            <span>Sandbox</span>
            <span>User</span>
            <span>Host</span>
            <span>Outcome</span>
            <span>Detail</span>
          </div>
          <div className="scroller" ref={parent}>
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualizer.getVirtualItems().map((v) => {
                const r = records[v.index]!;
                return (
                  <div
                    key={r.seq}
                    className="row"
                    style={{ transform: `translateY(${v.start}px)`, height: ROW }}
                  >
                    <span>{r.seq}</span>
                    <span>{new Date(r.time).toLocaleString([], { hour12: false })}</span>
                    <span>{r.kind}</span>
                    <span>{r.sandboxId ?? '—'}</span>
                    <span>{r.user}</span>
                    <span>{r.host ?? '—'}</span>
                    <span className={`outcome ${r.outcome ?? ''}`}>{r.outcome ?? '—'}</span>
                    <span className="path">{summary(r)}</span>
                  </div>
                );
              })}
            </div>
          </div>
        </div>
      ) : null}
      <footer className="view-foot">
        {records.length.toLocaleString()} records shown.{' '}
        {store.nextCursor ? (
          <button type="button" onClick={() => void store.load(false)} disabled={store.loading}>
            {store.loading ? 'Loading…' : 'Load older records'}
          </button>
        ) : store.loaded ? (
          'This is the oldest.'
        ) : null}
      </footer>
    </section>
  );
});
