// One card per pending request. Allow once / Always allow / Deny once / Always deny, with
// a/A/d/D on the focused card; "Always" first shows the policy diff it will apply.

import { observer } from 'mobx-react-lite';
import { useEffect, useRef, useState } from 'react';
import type { ApprovalDecision, ApprovalView } from '../../supervisor/api/events.ts';
import type { PolicyDiff } from '../../supervisor/api/policy-types.ts';
import { AnswerButtons } from '../../ui/cards/AnswerButtons.tsx';
import { BudgetHoldFacts } from '../../ui/cards/BudgetHoldFacts.tsx';
import { McpCallFacts } from '../../ui/cards/McpCallFacts.tsx';
import { PackageHoldFacts } from '../../ui/cards/PackageHoldFacts.tsx';
import { WaitingForIt } from '../../ui/cards/WaitingForIt.tsx';
import { type BridgeError, toBridgeError } from '../client/client.ts';
import type { ApprovalHistoryStore } from '../stores/approval-history.ts';
import type { ApprovalsStore } from '../stores/approvals.ts';
import type { ReplayStore } from '../stores/replay.ts';
import { ApprovalHistoryView, PromptRate } from './ApprovalHistory.tsx';
import { Empty, ErrorBox, Loading, PolicyDiffView } from './common.tsx';
import { ReplaySection } from './ReplaySection.tsx';

interface Confirming {
  approval: ApprovalView;
  decision: ApprovalDecision;
  diff?: PolicyDiff;
  error?: BridgeError;
}

export const ApprovalsView = observer(function ApprovalsView({
  store,
  history,
  replay,
}: {
  store: ApprovalsStore;
  history: ApprovalHistoryStore;
  /** Replays each "always" answer over the sandbox's recorded requests. */
  replay?: ReplayStore;
}) {
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const list = store.list;

  const askAlways = (approval: ApprovalView, decision: ApprovalDecision) => {
    setConfirming({ approval, decision });
    void replay?.start({ kind: 'approval', approvalId: approval.id, decision });
    store.preview(approval.id, decision).then(
      (diff) => setConfirming((c) => (c && c.approval.id === approval.id ? { ...c, diff } : c)),
      (error: unknown) =>
        setConfirming((c) =>
          c && c.approval.id === approval.id ? { ...c, error: toBridgeError(error) } : c,
        ),
    );
  };

  return (
    <section className="view approvals" aria-labelledby="approvals-title">
      <header className="view-head">
        <h1 id="approvals-title">Approvals</h1>
        <PromptRate history={history} />
        <p className="shortcuts-hint">
          On a focused card: <kbd>a</kbd> allow once, <kbd>A</kbd> always allow, <kbd>d</kbd> deny once,{' '}
          <kbd>D</kbd> always deny.
        </p>
      </header>
      {store.error ? <ErrorBox error={store.error} onRetry={() => void store.load()} /> : null}
      {!store.loaded && store.loading ? <Loading what="pending approvals" /> : null}
      {store.loaded && list.length === 0 ? (
        <Empty title="Nothing is waiting for you.">
          When a sandbox makes a request its policy says to ask about, it is held here until you answer or it
          times out (a timeout denies it).
        </Empty>
      ) : null}
      <ul className="cards">
        {list.map((a, i) => (
          <ApprovalCard
            key={a.id}
            approval={a}
            store={store}
            autoFocus={i === 0 && confirming === null}
            onAlways={(d) => askAlways(a, d)}
          />
        ))}
      </ul>
      <ApprovalHistoryView history={history} />
      {confirming ? (
        <ConfirmAlways
          confirming={confirming}
          replay={replay}
          onCancel={() => {
            replay?.reset();
            setConfirming(null);
          }}
          onConfirm={async () => {
            const ok = await store.answer(confirming.approval.id, confirming.decision, 'always');
            if (ok) setConfirming(null);
            else setConfirming({ ...confirming, error: store.answerErrors.get(confirming.approval.id) });
          }}
        />
      ) : null}
    </section>
  );
});

const ApprovalCard = observer(function ApprovalCard({
  approval: a,
  store,
  autoFocus,
  onAlways,
}: {
  approval: ApprovalView;
  store: ApprovalsStore;
  autoFocus: boolean;
  onAlways: (decision: ApprovalDecision) => void;
}) {
  const ref = useRef<HTMLLIElement>(null);
  const left = store.secondsLeft(a);
  const total = Math.max(1, (Date.parse(a.expiresAt) - Date.parse(a.createdAt)) / 1000);
  const busy = store.busy.has(a.id);
  const error = store.answerErrors.get(a.id);
  useEffect(() => {
    if (
      autoFocus &&
      !ref.current?.contains(document.activeElement) &&
      document.activeElement === document.body
    )
      ref.current?.focus();
  }, [autoFocus]);
  const asked = store.focusRequest === a.id;
  useEffect(() => {
    if (!asked) return;
    ref.current?.scrollIntoView({ block: 'nearest' });
    ref.current?.focus();
    store.focusDone();
  }, [asked, store]);
  /** MCP calls, requests over a budget and package versions are answered once only. */
  const onceOnly = a.mcp !== undefined || a.budget !== undefined || a.package !== undefined;
  const onKey = (e: React.KeyboardEvent) => {
    if (e.target !== e.currentTarget || busy || a.approver === 'it') return;
    if (e.key === 'a') void store.answer(a.id, 'allow', 'once');
    else if (e.key === 'd') void store.answer(a.id, 'deny', 'once');
    else if (e.key === 'A' && !onceOnly) onAlways('allow');
    else if (e.key === 'D' && !onceOnly) onAlways('deny');
    else return;
    e.preventDefault();
  };
  return (
    <li
      ref={ref}
      className="card approval"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the card takes the a/A/d/D shortcuts when focused
      tabIndex={0}
      onKeyDown={onKey}
      aria-label={`${a.method} ${a.host}${a.path}${a.query ? `?${a.query}` : ''} from ${a.sandboxId}`}
      data-approval={a.id}
    >
      <div className="card-head">
        <span className="method">
          {a.mcp
            ? `MCP ${a.mcp.method}`
            : a.budget
              ? `${a.method} over budget`
              : a.package
                ? `${a.package.ecosystem} package`
                : a.method}
        </span>{' '}
        <span className="target">
          {a.scheme}://{a.host}
          {a.port !== 443 && a.port !== 80 ? `:${a.port}` : ''}
          {a.path}
          {/* The query is part of what is approved: two requests differing in it are two cards. */}
          {a.query ? <span className="query">?{a.query}</span> : null}
        </span>
        <span className={`countdown${left <= 10 ? ' urgent' : ''}`} title="Denied when this reaches 0">
          {left} s
        </span>
      </div>
      <progress className="timer" max={total} value={left} aria-label="Time left" />
      <dl className="facts">
        <dt>Sandbox</dt>
        <dd>{a.sandboxId}</dd>
        <dt>Agent of</dt>
        <dd>{a.user}</dd>
        <dt>Why it asks</dt>
        <dd>{a.reason}</dd>
        {a.mcp ? <McpCallFacts call={a.mcp} /> : null}
        {a.budget ? <BudgetHoldFacts hold={a.budget} /> : null}
        {a.package ? <PackageHoldFacts hold={a.package} /> : null}
        {a.waiting > 1 ? (
          <>
            <dt>Waiting</dt>
            <dd>{a.waiting} identical requests</dd>
          </>
        ) : null}
      </dl>
      {error ? <ErrorBox error={error} /> : null}
      {a.approver === 'it' ? (
        <WaitingForIt />
      ) : (
        <AnswerButtons
          busy={busy}
          onceOnly={onceOnly}
          once={(decision) => void store.answer(a.id, decision, 'once')}
          always={onAlways}
        />
      )}
    </li>
  );
});

function ConfirmAlways({
  confirming,
  replay,
  onCancel,
  onConfirm,
}: {
  confirming: Confirming;
  replay?: ReplayStore;
  onCancel: () => void;
  onConfirm: () => Promise<void>;
}) {
  const { approval: a, decision, diff, error } = confirming;
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  const rule = a.suggestedRule;
  return (
    <dialog
      ref={dialog}
      className="confirm"
      aria-labelledby="confirm-title"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id="confirm-title">
        Always {decision} {rule.match}
        {rule.methods ? ` (${rule.methods.join(', ')})` : ''} for {a.sandboxId}?
      </h2>
      <p>This adds a rule to the sandbox's session policy. The policy change it will apply:</p>
      {replay ? <ReplaySection store={replay} /> : null}
      {error ? (
        <ErrorBox error={error} />
      ) : diff ? (
        <PolicyDiffView diff={diff} />
      ) : (
        <Loading what="the policy diff" />
      )}
      <div className="actions">
        <button
          type="button"
          className={decision === 'allow' ? 'allow' : 'deny'}
          disabled={!diff || busy}
          onClick={async () => {
            setBusy(true);
            await onConfirm();
            setBusy(false);
          }}
        >
          Confirm: always {decision}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel <kbd>Esc</kbd>
        </button>
      </div>
    </dialog>
  );
}
