// What an "always" answer will change in the policy, in words: the daemon's preview
// (POST /v1/approvals/:id/preview), shown as the desktop app shows it.

import React from 'react';
import type { PolicyDiff, RequestFacts, RuleRef } from '../../../supervisor/api/policy-types.ts';

export function ruleLabel(r: RuleRef): string {
  const parts = [`${r.action} ${r.match}`];
  if (r.methods?.length) parts.push(r.methods.join(','));
  if (r.paths?.length) parts.push(r.paths.join(' '));
  return parts.join('  ');
}

function ruleSource(r: RuleRef): string {
  return `${r.layer} rule ${r.index + 1}`;
}

function requestLine(q: RequestFacts): string {
  return `${q.method} ${q.scheme}://${q.host}${q.path}`;
}

export function PolicyDiffView({ diff }: { diff: PolicyDiff }) {
  if (diff.empty)
    return <p className="warden-diff-empty">No change: the policy would decide everything the same way.</p>;
  return (
    <div className="warden-diff" data-warden-diff="">
      {diff.defaultChanged ? (
        <p>
          Default: <code>{diff.defaultChanged.before}</code> → <code>{diff.defaultChanged.after}</code>
        </p>
      ) : null}
      <ul>
        {diff.added.map((r) => (
          <li key={`a${r.layer}${r.index}`} className="add">
            + <code>{ruleLabel(r)}</code> <small>{ruleSource(r)}</small>
          </li>
        ))}
        {diff.removed.map((r) => (
          <li key={`r${r.layer}${r.index}`} className="del">
            − <code>{ruleLabel(r)}</code> <small>{ruleSource(r)}</small>
          </li>
        ))}
        {diff.changed.map((c) => (
          <li key={`c${c.after.layer}${c.after.index}`} className="chg">
            ~ <code>{ruleLabel(c.before)}</code> → <code>{ruleLabel(c.after)}</code>
          </li>
        ))}
      </ul>
      {diff.outcomeChanges.length > 0 ? (
        <ul className="warden-outcomes">
          {diff.outcomeChanges.slice(0, 10).map((o) => (
            <li key={requestLine(o.request)}>
              <code>{requestLine(o.request)}</code>: {o.before.action} → <strong>{o.after.action}</strong>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
