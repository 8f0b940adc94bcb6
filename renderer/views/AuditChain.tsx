// The Audit view's header: the chain badge (the last verification's result), "Verify now"
// (an `audit.verify` task on the daemon: its progress and Cancel show in the strip under
// the header, its result lands on the badge) and "Export…" (an `audit.export` task writing
// a file under the daemon's home, named here once written).

import { observer } from 'mobx-react-lite';
import { useState } from 'react';
import { AUDIT_EXPORT_FORMATS, type AuditExportRequest } from '../../supervisor/api/audit-task-types.ts';
import type { AuditTaskStore } from '../stores/audit-tasks.ts';
import type { AuditStore } from '../stores/lists.ts';
import { Elapsed } from './Elapsed.tsx';

const ChainBadge = observer(function ChainBadge({
  store,
  tasks,
}: {
  store: AuditStore;
  tasks: AuditTaskStore;
}) {
  const chain = store.chain.value;
  const running = tasks.verifyTask;
  if (tasks.verifying) {
    const p = running?.progress;
    return (
      <span className="chain-badge pending" data-task={tasks.verifyTaskId ?? ''}>
        Verifying the chain
        {p?.total ? `: ${p.done.toLocaleString()} of ${p.total.toLocaleString()} records` : '…'}
      </span>
    );
  }
  if (tasks.verifyResult && tasks.verifyResult.state !== 'done') {
    return (
      <span className="chain-badge warn">
        Verify {tasks.verifyResult.state}
        {tasks.verifyResult.error ? `: ${tasks.verifyResult.error}` : ''}
      </span>
    );
  }
  if (store.chain.error) {
    return (
      <span className="chain-badge broken">
        <span aria-hidden="true">!</span> chain: {store.chain.error.message}
      </span>
    );
  }
  if (chain) {
    return chain.ok ? (
      <span
        className={`chain-badge ${chain.anchor.state === 'match' ? 'ok' : 'warn'}`}
        title={`head ${chain.head?.hash ?? ''}`}
      >
        <span aria-hidden="true">✓</span> Chain verified: {chain.records.toLocaleString()} records, anchor{' '}
        {chain.anchor.state} ({chain.durationMs} ms)
      </span>
    ) : (
      <span className="chain-badge broken">
        <span aria-hidden="true">✗</span> Chain BROKEN at record {chain.firstBad?.seq}:{' '}
        {chain.firstBad?.problem}
      </span>
    );
  }
  return store.chain.loading ? (
    <span className="chain-badge pending">
      <Elapsed what="Verifying the chain" />
    </span>
  ) : null;
});

const ExportControl = observer(function ExportControl({ tasks }: { tasks: AuditTaskStore }) {
  const [open, setOpen] = useState(false);
  const [format, setFormat] = useState<AuditExportRequest['format']>('ocsf-ndjson');
  const [since, setSince] = useState('');
  const done = tasks.exportResult;
  return (
    <span className="audit-export">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)} disabled={tasks.exporting}>
        Export…
      </button>
      {open ? (
        <form
          className="export-form"
          onSubmit={(e) => {
            e.preventDefault();
            setOpen(false);
            void tasks.export({ format, ...(since ? { since } : {}) });
          }}
        >
          <label>
            Format{' '}
            <select
              value={format}
              onChange={(e) => setFormat(e.target.value as AuditExportRequest['format'])}
            >
              {AUDIT_EXPORT_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>{' '}
          <label>
            Since <input value={since} placeholder="everything" onChange={(e) => setSince(e.target.value)} />
          </label>{' '}
          <button type="submit">Start export</button>
        </form>
      ) : null}
      {done?.state === 'done' ? (
        <span className="export-done" role="status">
          Exported {done.records?.toLocaleString()} records to <code>{done.file}</code>
        </span>
      ) : done ? (
        <span className="export-done" role="status">
          Export {done.state}
          {done.error ? `: ${done.error}` : ' (no file was left)'}
        </span>
      ) : null}
    </span>
  );
});

export const AuditChainHeader = observer(function AuditChainHeader({
  store,
  tasks,
}: {
  store: AuditStore;
  tasks: AuditTaskStore;
}) {
  return (
    <div className="chain" aria-live="polite">
      <ChainBadge store={store} tasks={tasks} />{' '}
      <button type="button" onClick={() => void tasks.verify()} disabled={tasks.verifying}>
        Verify now
      </button>{' '}
      <ExportControl tasks={tasks} />
      {tasks.error ? (
        <span className="task-error" role="alert">
          {tasks.error.message}
        </span>
      ) : null}
    </div>
  );
});
