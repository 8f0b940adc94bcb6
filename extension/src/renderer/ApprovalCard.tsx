// One card per held request: countdown, Allow once / Always allow / Deny once / Always deny,
// with a/A/d/D on the focused card. "Always" first shows the policy diff (ConfirmAlways). A
// card IT answers on the team hub (approver: it) says so and offers no answer here.

import { observer } from 'mobx-react';
import React, { useEffect, useRef } from 'react';
import type { ApprovalDecision, ApprovalView } from '../../../supervisor/api/events.ts';
import { AnswerButtons } from '../../../ui/cards/AnswerButtons.tsx';
import { BudgetHoldFacts } from '../../../ui/cards/BudgetHoldFacts.tsx';
import { McpCallFacts } from '../../../ui/cards/McpCallFacts.tsx';
import { PackageHoldFacts } from '../../../ui/cards/PackageHoldFacts.tsx';
import { WaitingForIt } from '../../../ui/cards/WaitingForIt.tsx';
import { clusterSentence } from '../common/kube-request.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { PolicyDiffView } from './PolicyDiff.tsx';
import type { WardenStore } from './store.ts';

export function target(a: ApprovalView): string {
  const port = a.port === 443 || a.port === 80 ? '' : `:${a.port}`;
  return `${a.scheme}://${a.host}${port}${a.path}${a.query ? `?${a.query}` : ''}`;
}

export const ApprovalCard = observer(function ApprovalCard({
  approval: a,
  store,
  first,
}: {
  approval: ApprovalView;
  store: WardenStore;
  first: boolean;
}) {
  const ref = useRef<HTMLLIElement>(null);
  const left = store.secondsLeft(a);
  const total = Math.max(1, (Date.parse(a.expiresAt) - Date.parse(a.createdAt)) / 1000);
  const busy = store.busy.has(`approval:${a.id}`);
  const error = store.errors.get(`approval:${a.id}`);
  const focused = store.focusId === a.id;
  const cluster = store.clusterOf(a);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (focused) {
      el.scrollIntoView?.({ block: 'nearest' });
      el.focus();
      store.focus(null);
    } else if (first && document.activeElement === document.body) el.focus();
  }, [focused, first, store]);
  const always = (d: ApprovalDecision) => void store.askAlways(a, d);
  /** MCP calls, requests over a budget and package versions are answered once only. */
  const onceOnly = a.mcp !== undefined || a.budget !== undefined || a.package !== undefined;
  const forIt = a.approver === 'it';
  const onKey = (e: React.KeyboardEvent) => {
    if (e.target !== e.currentTarget || busy || forIt) return;
    if (e.key === 'a') void store.answer(a.id, 'allow', 'once');
    else if (e.key === 'd') void store.answer(a.id, 'deny', 'once');
    else if (e.key === 'A' && !onceOnly) always('allow');
    else if (e.key === 'D' && !onceOnly) always('deny');
    else return;
    e.preventDefault();
  };
  return (
    <li
      ref={ref}
      className="warden-card"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the card takes the a/A/d/D shortcuts when focused
      tabIndex={0}
      onKeyDown={onKey}
      aria-label={`${cluster ? `${clusterSentence(a.method, a.path, cluster.name)}: ` : ''}${a.method} ${target(a)} from ${a.sandboxId}`}
      data-approval={a.id}
    >
      <div className="warden-card-head">
        <strong className="warden-method">
          {a.mcp
            ? `MCP ${a.mcp.method}`
            : a.budget
              ? `${a.method} over budget`
              : a.package
                ? `${a.package.ecosystem} package`
                : a.method}
        </strong>{' '}
        <span className="warden-target">{target(a)}</span>
        <span className={`warden-countdown${left <= 10 ? ' urgent' : ''}`} title="Denied when this reaches 0">
          {left} s
        </span>
      </div>
      {cluster ? (
        <div className="warden-cluster" data-cluster={cluster.name}>
          {clusterSentence(a.method, a.path, cluster.name)}
        </div>
      ) : null}
      <progress className="warden-timer" max={total} value={left} aria-label="Time left" />
      <dl className="warden-facts">
        <dt>Sandbox</dt>
        <dd>{a.sandboxId}</dd>
        {cluster ? (
          <>
            <dt>Cluster</dt>
            <dd>{cluster.name}</dd>
          </>
        ) : null}
        <dt>Agent of</dt>
        <dd>{a.user}</dd>
        <dt>Why it asks</dt>
        <dd>{a.reason}</dd>
        {a.mcp ? <McpCallFacts call={a.mcp} prefix="warden-" /> : null}
        {a.budget ? <BudgetHoldFacts hold={a.budget} prefix="warden-" /> : null}
        {a.package ? <PackageHoldFacts hold={a.package} prefix="warden-" /> : null}
        {a.waiting > 1 ? (
          <>
            <dt>Waiting</dt>
            <dd>{a.waiting} identical requests</dd>
          </>
        ) : null}
      </dl>
      {error ? <ErrorLine error={error} /> : null}
      {forIt ? (
        <WaitingForIt prefix="warden-" />
      ) : (
        <AnswerButtons
          busy={busy}
          onceOnly={onceOnly}
          once={(decision) => void store.answer(a.id, decision, 'once')}
          always={always}
          prefix="warden-"
        />
      )}
    </li>
  );
});

/** The "always" answer being confirmed: the rule it adds and the daemon's diff, then Confirm. */
export const ConfirmAlways = observer(function ConfirmAlways({ store }: { store: WardenStore }) {
  const c = store.confirming;
  const ref = useRef<HTMLDivElement>(null);
  const id = c?.approval.id;
  useEffect(() => {
    if (id) ref.current?.focus();
  }, [id]);
  if (!c) return null;
  const rule = c.approval.suggestedRule;
  return (
    <div
      ref={ref}
      className="warden-confirm"
      role="dialog"
      aria-modal="true"
      aria-labelledby="warden-confirm-title"
      tabIndex={-1}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          store.cancelConfirm();
        }
      }}
    >
      <h3 id="warden-confirm-title">
        Always {c.decision} {rule.match}
        {rule.methods ? ` (${rule.methods.join(', ')})` : ''} for {c.approval.sandboxId}?
      </h3>
      <p>This adds a rule to the sandbox's session policy. The policy change it will apply:</p>
      {c.error ? (
        <ErrorLine error={c.error} />
      ) : c.diff ? (
        <PolicyDiffView diff={c.diff} />
      ) : (
        <p className="warden-loading">Asking the daemon for the policy diff…</p>
      )}
      <div className="warden-actions">
        <button
          type="button"
          className={c.decision}
          disabled={!c.diff || c.busy}
          onClick={() => void store.confirmAlways()}
        >
          Confirm: always {c.decision}
        </button>
        <button type="button" onClick={store.cancelConfirm}>
          Cancel <kbd>Esc</kbd>
        </button>
      </div>
    </div>
  );
});
