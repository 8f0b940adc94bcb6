// What was decided, under the pending cards: each closed approval with who answered, from which
// client and when (or that it expired or was cancelled), and a Revoke button on "always"
// answers. The header's rate: prompts a human saw in the last hour (approval fatigue).

import { observer } from 'mobx-react-lite';
import type { ApprovalView } from '../../supervisor/api/events.ts';
import type { ApprovalHistoryStore } from '../stores/approval-history.ts';
import { ErrorBox } from './common.tsx';

const CLIENT_NAMES: Record<string, string> = {
  desktop: 'desktop app',
  browser: 'browser',
  cli: 'CLI',
  lens: 'Lens',
  api: 'API',
  hub: 'hub',
  'reviewer-hook': 'reviewer hook',
};

export const PromptRate = observer(function PromptRate({ history }: { history: ApprovalHistoryStore }) {
  const total = history.promptsLastHour;
  const busiest = history.rates.slice(0, 3);
  return (
    <p
      className={`prompt-rate${total >= 30 ? ' high' : ''}`}
      title="Prompts shown to a human in the last hour"
    >
      <strong>{total}</strong> {total === 1 ? 'prompt' : 'prompts'} in the last hour
      {busiest.length > 0 ? ` (${busiest.map((r) => `${r.sandboxId}: ${r.lastHour}`).join(', ')})` : ''}
    </p>
  );
});

function time(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleTimeString() : '';
}

function outcome(a: ApprovalView): string {
  if (a.state === 'answered' && a.answer) {
    const x = a.answer;
    return `${x.decision === 'allow' ? 'Allowed' : 'Denied'} ${x.scope} by ${x.by} from ${CLIENT_NAMES[x.client] ?? x.client} at ${time(x.at)}`;
  }
  if (a.state === 'expired') return `Expired at ${time(a.closedAt)}: denied`;
  return `Cancelled at ${time(a.closedAt)}${a.cancelReason ? `: ${a.cancelReason}` : ''}`;
}

export const ApprovalHistoryView = observer(function ApprovalHistoryView({
  history,
}: {
  history: ApprovalHistoryStore;
}) {
  if (history.error) return <ErrorBox error={history.error} onRetry={() => void history.load()} />;
  if (history.items.length === 0) return null;
  return (
    <section className="approval-history" aria-labelledby="approval-history-title">
      <h2 id="approval-history-title" className="approval-history-title">
        Decided
      </h2>
      <ul className="decided-list">
        {history.items.map((a) => (
          <li key={a.id} className={`decided ${a.state ?? ''}`} data-approval={a.id}>
            <span className="method">{a.method}</span>{' '}
            <span className="target">
              {a.host}
              {a.path}
              {a.query ? `?${a.query}` : ''}
            </span>{' '}
            <span className="sandbox">{a.sandboxId}</span>
            <div className="decided-how">
              {outcome(a)}
              {a.answer?.reason ? <span className="reason">: {a.answer.reason}</span> : null}
              {a.revoked ? (
                <span className="revoked">
                  {' '}
                  · revoked by {a.revoked.by} from {CLIENT_NAMES[a.revoked.client] ?? a.revoked.client} at{' '}
                  {time(a.revoked.at)}
                  {a.revoked.ruleRemoved ? '' : ' (its rule was already gone)'}
                </span>
              ) : null}
            </div>
            {a.answer?.revocable && !a.revoked ? (
              <button
                type="button"
                className="revoke"
                disabled={history.busy.has(a.id)}
                title="Remove the session rule this answer wrote: matching requests ask again"
                onClick={() => void history.revoke(a.id)}
              >
                Revoke
              </button>
            ) : null}
            {history.revokeErrors.get(a.id) ? <ErrorBox error={history.revokeErrors.get(a.id)!} /> : null}
          </li>
        ))}
      </ul>
    </section>
  );
});
