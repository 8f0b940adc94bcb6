// The resolved policy with the source of each rule; an editor for one layer with inline
// validation errors (line and field); the text diff and the semantic dry-run diff; apply.

import { diffLines } from 'diff';
import { observer } from 'mobx-react-lite';
import { useMemo, useRef } from 'react';
import type { SandboxView } from '../../supervisor/api/sandbox-types.ts';
import type { PolicyStore } from '../stores/policy.ts';
import type { ReplayStore } from '../stores/replay.ts';
import { Empty, ErrorBox, formatTime, Loading, PolicyDiffView, ruleSource } from './common.tsx';
import { OrganisationPanel } from './OrganisationPanel.tsx';
import { ReplaySection } from './ReplaySection.tsx';

interface SideRow {
  left?: { n: number; text: string; kind: 'same' | 'del' };
  right?: { n: number; text: string; kind: 'same' | 'add' };
}

/** Two aligned columns from a line diff: removals left, additions right, paired up. */
export function sideBySide(before: string, after: string): SideRow[] {
  const rows: SideRow[] = [];
  let l = 0;
  let r = 0;
  const lines = (v: string) => v.replace(/\n$/, '').split('\n');
  const parts = diffLines(before, after);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (!p.added && !p.removed) {
      for (const text of lines(p.value))
        rows.push({ left: { n: ++l, text, kind: 'same' }, right: { n: ++r, text, kind: 'same' } });
    } else if (p.removed) {
      const del = lines(p.value);
      const next = parts[i + 1];
      const add = next?.added ? lines(next.value) : [];
      if (next?.added) i++;
      for (let k = 0; k < Math.max(del.length, add.length); k++) {
        const row: SideRow = {};
        if (k < del.length) row.left = { n: ++l, text: del[k]!, kind: 'del' };
        if (k < add.length) row.right = { n: ++r, text: add[k]!, kind: 'add' };
        rows.push(row);
      }
    } else {
      for (const text of lines(p.value)) rows.push({ right: { n: ++r, text, kind: 'add' } });
    }
  }
  return rows;
}

export const PolicyView = observer(function PolicyView({
  store,
  sandboxes,
  replay,
}: {
  store: PolicyStore;
  sandboxes: SandboxView[];
  /** Replays each previewed change over the recorded requests. */
  replay?: ReplayStore;
}) {
  const preview = async () => {
    const yaml = store.draft;
    await store.dryRun();
    if (!store.preview || !replay) return;
    void replay.start({
      kind: 'layer',
      layer: store.layer,
      yaml,
      ...(store.target ? { sandboxId: store.target } : {}),
    });
  };
  const editor = useRef<HTMLTextAreaElement>(null);
  const p = store.policy.value;
  const rows = useMemo(
    () => (store.dirty ? sideBySide(store.original, store.draft) : []),
    [store.dirty, store.original, store.draft],
  );
  const goToLine = (line: number) => {
    const t = editor.current;
    if (!t) return;
    const lines = t.value.split('\n');
    const start = lines.slice(0, line - 1).reduce((n, s) => n + s.length + 1, 0);
    t.focus();
    t.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  };
  const invalid = store.errors.length > 0;
  return (
    <section className="view policy" aria-labelledby="policy-title">
      <header className="view-head">
        <h1 id="policy-title">Policy</h1>
        <div className="toolbar">
          <label>
            Layer{' '}
            <select value={store.target} onChange={(e) => store.setTarget(e.target.value)}>
              <option value="">base (every sandbox)</option>
              {sandboxes.map((s) => (
                <option key={s.sandboxId} value={s.sandboxId}>
                  project of {s.sandboxId}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void store.load()}>
            Reload
          </button>
        </div>
      </header>
      {store.policy.error ? <ErrorBox error={store.policy.error} onRetry={() => void store.load()} /> : null}
      {!p && store.policy.loading ? <Loading what="the policy" /> : null}
      {p ? (
        <>
          <h2>Resolved rules</h2>
          <p className="sub">
            First match wins, most specific layer first. Otherwise: <code>{p.resolved.defaultAction}</code>{' '}
            (set by {p.resolved.defaultSource}); approvals time out after {p.resolved.approvalTimeoutSeconds}{' '}
            s.
          </p>
          {p.resolved.organisation ? <OrganisationPanel org={p.resolved.organisation} /> : null}
          {p.resolved.rules.length === 0 ? (
            <Empty title="No rules: every request gets the default.">Add rules in the editor below.</Empty>
          ) : (
            <table className="rules">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Action</th>
                  <th>Match</th>
                  <th>Methods</th>
                  <th>Paths</th>
                  <th>Source</th>
                </tr>
              </thead>
              <tbody>
                {p.resolved.rules.map((r, i) => (
                  <tr key={`${r.layer}-${r.index}`}>
                    <td>{i + 1}</td>
                    <td>
                      <span className={`outcome ${r.action}`}>{r.action}</span>
                    </td>
                    <td>
                      <code>{r.match}</code>
                    </td>
                    <td>{r.methods?.join(', ') ?? 'any'}</td>
                    <td>{r.paths?.join(' ') ?? 'any'}</td>
                    <td className="source">{ruleSource(r)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>
            Edit the {store.layer} layer{store.target ? ` of ${store.target}` : ''}
          </h2>
          <div className="editor-wrap">
            <label htmlFor="policy-editor" className="visually-hidden">
              Policy YAML
            </label>
            <textarea
              id="policy-editor"
              ref={editor}
              className="editor"
              spellCheck={false}
              value={store.draft}
              aria-invalid={invalid}
              aria-describedby="policy-errors"
              onChange={(e) => store.setDraft(e.target.value)}
              rows={Math.min(30, Math.max(12, store.draft.split('\n').length + 1))}
            />
            <div id="policy-errors" aria-live="polite">
              {invalid ? (
                <ul className="errors validation">
                  {store.errors.map((e) => (
                    <li key={`${e.line}:${e.column}:${e.path}:${e.message}`}>
                      <button type="button" className="link" onClick={() => goToLine(e.line)}>
                        line {e.line}, column {e.column}
                      </button>{' '}
                      <code>{e.path || '(document)'}</code>: {e.message}
                    </li>
                  ))}
                </ul>
              ) : store.validated && store.dirty ? (
                <p className="ok">Valid.</p>
              ) : null}
            </div>
          </div>
          {store.applyError && !store.applyError.errors ? <ErrorBox error={store.applyError} /> : null}
          {store.applyError?.errors ? (
            <p className="error-line" role="alert">
              {store.applyError.message}
            </p>
          ) : null}
          <div className="actions">
            <button
              type="button"
              disabled={!store.dirty || invalid || store.previewing}
              onClick={() => void preview()}
            >
              Preview changes
            </button>
            <button
              type="button"
              className="primary"
              disabled={!store.dirty || invalid || !store.preview || store.applying}
              onClick={() => void store.apply()}
              title={store.preview ? '' : 'Preview the changes first'}
            >
              Apply
            </button>
            <button type="button" disabled={!store.dirty} onClick={() => store.revert()}>
              Revert
            </button>
          </div>
          {store.applied ? (
            <div className="notice" role="status">
              <p>Applied.</p>
              <PolicyDiffView diff={store.applied} />
            </div>
          ) : null}
          {store.preview ? (
            <div className="preview">
              <h2>What changes</h2>
              {replay ? <ReplaySection store={replay} /> : null}
              <h3>Examples made from the rules</h3>
              <PolicyDiffView diff={store.preview} />
            </div>
          ) : null}
          {rows.length > 0 ? (
            <div className="preview">
              <h2>Current ↔ proposed</h2>
              <table className="side-by-side" aria-label="Text diff of the current and proposed policy">
                <tbody>
                  {rows.map((row, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: rows of a static diff
                    <tr key={i}>
                      <td className="ln">{row.left?.n ?? ''}</td>
                      <td className={`code ${row.left?.kind ?? 'none'}`}>{row.left?.text ?? ''}</td>
                      <td className="ln">{row.right?.n ?? ''}</td>
                      <td className={`code ${row.right?.kind ?? 'none'}`}>{row.right?.text ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          <h2>History</h2>
          {store.history.value && store.history.value.records.length > 0 ? (
            <ul className="history">
              {store.history.value.records.map((r) => {
                const u = r.ocsf as { unmapped?: { layer?: string; source?: string } };
                return (
                  <li key={r.seq}>
                    {formatTime(r.time)} · {r.user} · {u.unmapped?.layer ?? 'policy'}{' '}
                    {u.unmapped?.source ?? ''}
                    {r.sandboxId ? ` · ${r.sandboxId}` : ''}
                  </li>
                );
              })}
            </ul>
          ) : (
            <p className="sub">No policy changes recorded yet.</p>
          )}
        </>
      ) : null}
    </section>
  );
});
