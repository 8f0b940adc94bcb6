// Model spend: per sandbox, today's tokens per model over the hours against its daily
// budget, a bar for each budget limit (spent against the limit), and this month per model.
// Live from the event stream; an empty state says how to set a budget.

import { observer } from 'mobx-react-lite';
import type { BudgetStanding, SandboxSpend } from '../../supervisor/api/spend.ts';
import { budgetLine, tokens, usd } from '../../supervisor/api/spend-format.ts';
import type { SpendStore } from '../stores/spend.ts';
import { useNow } from './charts/RateChart.tsx';
import { SpendChart } from './charts/SpendChart.tsx';
import { Empty, ErrorBox, Loading } from './common.tsx';

const BUDGET_EXAMPLE = `spec:
  budgets:
    limits:
      - { per: day, tokens: 2000000, action: ask }
      - { per: month, usd: 50, action: deny }`;

function BudgetHelp() {
  return (
    <>
      <p>
        Warden reads the token usage of every Anthropic and OpenAI API answer that goes through it. To cap a
        sandbox, add limits to its policy (<code>ask</code> holds each request over the limit for your
        approval; <code>deny</code> answers it with the provider&apos;s own 429):
      </p>
      <pre className="budget-example">{BUDGET_EXAMPLE}</pre>
    </>
  );
}

function LimitBar({ l }: { l: BudgetStanding }) {
  const ratio = Math.max(
    l.limitTokens ? l.spent.tokens / l.limitTokens : 0,
    l.limitUsd ? l.spent.costUsd / l.limitUsd : 0,
    l.limitTokens === 0 || l.limitUsd === 0 ? 1 : 0,
  );
  const pct = Math.min(100, Math.round(ratio * 100));
  const state = ratio >= 1 ? 'over' : ratio >= 0.8 ? 'near' : 'ok';
  return (
    <li className={`budget-bar ${state}`} data-per={l.per} data-action={l.action}>
      <span className="budget-text">
        {budgetLine(l)} · at the limit: <b>{l.action}</b>
      </span>
      <meter
        className="bar"
        min={0}
        max={100}
        low={80}
        high={99.9}
        optimum={0}
        value={pct}
        aria-label={`${l.per} budget used`}
      />
      <span className="budget-pct">{pct}%</span>
    </li>
  );
}

/** Not an observer: the store changes a sandbox's figures in place, so it renders with its parent. */
function SandboxSpendCard({ sb, day, now }: { sb: SandboxSpend; day: string; now: number }) {
  return (
    <section className="spend-sandbox" data-sandbox={sb.sandboxId} aria-label={`Spend of ${sb.sandboxId}`}>
      <h2>
        {sb.sandboxId}
        <span className="spend-totals">
          today <b data-today-tokens={sb.today.tokens}>{tokens(sb.today.tokens)} tokens</b>{' '}
          {usd(sb.today.costUsd)} · this month <b>{tokens(sb.month.tokens)} tokens</b> {usd(sb.month.costUsd)}
        </span>
      </h2>
      <div className="spend-grid">
        <SpendChart sb={sb} day={day} now={now} />
        <div className="spend-side">
          {sb.limits.length > 0 ? (
            <ul className="budget-bars" aria-label="Budgets">
              {sb.limits.map((l, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: limits have no identity but their order in the policy
                <LimitBar key={i} l={l} />
              ))}
            </ul>
          ) : (
            <p className="hint no-budget">
              No budget for this sandbox: add spec.budgets.limits to its policy.
            </p>
          )}
          <table className="list spend-models">
            <caption>This month, per model</caption>
            <thead>
              <tr>
                <th>Model</th>
                <th>Requests</th>
                <th>Input</th>
                <th>Output</th>
                <th>Cache</th>
                <th>Cost</th>
              </tr>
            </thead>
            <tbody>
              {sb.models.map((m) => (
                <tr key={`${m.api} ${m.model}`} data-model={m.model}>
                  <td title={m.api}>{m.model}</td>
                  <td>{m.requests}</td>
                  <td>{tokens(m.inputTokens)}</td>
                  <td>{tokens(m.outputTokens)}</td>
                  <td>{tokens(m.cacheReadTokens + m.cacheWriteTokens)}</td>
                  <td title={m.unpriced ? `${m.unpriced} requests with no known price` : undefined}>
                    {usd(m.costUsd)}
                    {m.unpriced ? '*' : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}

export const SpendView = observer(function SpendView({ store }: { store: SpendStore }) {
  const now = useNow(30_000);
  const view = store.view.value;
  const sandboxes = store.sandboxes;
  return (
    <section className="view spend" aria-labelledby="spend-title">
      <header className="view-head">
        <h1 id="spend-title">Spend</h1>
        {view ? (
          <span className="hint">
            UTC day {view.day} · month {view.month}
          </span>
        ) : null}
      </header>
      {store.view.error ? <ErrorBox error={store.view.error} onRetry={() => void store.load()} /> : null}
      {!view && store.view.loading ? <Loading what="model spend" /> : null}
      {view && sandboxes.length === 0 ? (
        <Empty title="No model spend yet">
          <BudgetHelp />
        </Empty>
      ) : null}
      {view
        ? sandboxes.map((sb) => <SandboxSpendCard key={sb.sandboxId} sb={sb} day={view.day} now={now} />)
        : null}
      {view && sandboxes.length > 0 && sandboxes.every((s) => s.limits.length === 0) ? (
        <details className="budget-help">
          <summary>How to set a budget</summary>
          <BudgetHelp />
        </details>
      ) : null}
    </section>
  );
});
