// Small pieces every view uses: loading, empty and error states, the semantic policy diff.

import type { ReactNode } from 'react';
import type { PolicyDiff, RuleRef } from '../../supervisor/api/policy-types.ts';
import { requestLine } from '../../supervisor/api/request-line.ts';
import type { BridgeError } from '../client/client.ts';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <p className="state-title">{title}</p>
      {children ? <div className="state-help">{children}</div> : null}
    </div>
  );
}

export function ErrorBox({ error, onRetry }: { error: BridgeError; onRetry?: () => void }) {
  return (
    <div className="state error" role="alert">
      <p className="state-title">
        {error.name}
        {error.status ? ` (${error.status})` : ''}: {error.message}
      </p>
      {error.hint ? <p className="hint">What to do: {error.hint}</p> : null}
      {error.errors && error.errors.length > 0 ? (
        <ul className="errors">
          {error.errors.map((e) => (
            <li key={`${e.line}:${e.column}:${e.path}`}>
              line {e.line}, {e.path || '(document)'}: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

export function ruleLabel(r: RuleRef): string {
  const parts = [`${r.action} ${r.match}`];
  if (r.methods?.length) parts.push(r.methods.join(','));
  if (r.paths?.length) parts.push(r.paths.join(' '));
  return parts.join('  ');
}

export function ruleSource(r: RuleRef): string {
  return `${r.layer} rule ${r.index + 1} · ${r.source}${r.line ? `:${r.line}` : ''}`;
}

/** What a policy change does, in words: rules added/removed/changed and outcomes that flip. */
export function PolicyDiffView({ diff }: { diff: PolicyDiff }) {
  if (diff.empty)
    return <p className="diff-empty">No change: the policy would decide everything the same way.</p>;
  return (
    <div className="policy-diff">
      {diff.defaultChanged ? (
        <p>
          Default: <code>{diff.defaultChanged.before}</code> → <code>{diff.defaultChanged.after}</code>
        </p>
      ) : null}
      {diff.timeoutChanged ? (
        <p>
          Approval timeout: {diff.timeoutChanged.before} s → {diff.timeoutChanged.after} s
        </p>
      ) : null}
      <ul className="diff-rules">
        {diff.added.map((r) => (
          <li key={`a${r.layer}${r.index}`} className="add">
            <span className="sign">+</span> <code>{ruleLabel(r)}</code> <small>{ruleSource(r)}</small>
          </li>
        ))}
        {diff.removed.map((r) => (
          <li key={`r${r.layer}${r.index}`} className="del">
            <span className="sign">−</span> <code>{ruleLabel(r)}</code> <small>{ruleSource(r)}</small>
          </li>
        ))}
        {diff.changed.map((c) => (
          <li key={`c${c.after.layer}${c.after.index}`} className="chg">
            <span className="sign">~</span> <code>{ruleLabel(c.before)}</code> →{' '}
            <code>{ruleLabel(c.after)}</code> <small>({c.fields.join(', ')})</small>
          </li>
        ))}
        {diff.reordered.map((m) => (
          <li key={`m${m.rule.layer}${m.rule.index}`} className="chg">
            <span className="sign">↕</span> <code>{ruleLabel(m.rule)}</code> moved {m.beforeIndex} →{' '}
            {m.afterIndex}
          </li>
        ))}
      </ul>
      {diff.outcomeChanges.length > 0 ? (
        <>
          <p className="diff-sub">Requests decided differently:</p>
          <ul className="diff-outcomes">
            {diff.outcomeChanges.map((o) => (
              <li key={requestLine(o.request)}>
                <code>{requestLine(o.request)}</code>:{' '}
                <span className={`outcome ${o.before.action}`}>{o.before.action}</span> →{' '}
                <span className={`outcome ${o.after.action}`}>{o.after.action}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// One formatter for every time shown, built once when the UI loads: toLocaleTimeString
// with options builds a new Intl.DateTimeFormat on each call (the first one also loads
// the locale's data), which was most of the Activity view's render time.
const TIME_FORMAT = new Intl.DateTimeFormat([], {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

export function formatTime(iso: string | number): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : TIME_FORMAT.format(d);
}
