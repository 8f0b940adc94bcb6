// "Recorded requests decided differently": the what-if replay of a policy change over the
// audit trail, under the diff made from the rules. While it runs: a progress bar over the
// records and Cancel; then each request shape that would be decided differently, grouped by
// sandbox, with how often and when it was last seen and both outcomes with their rules.

import { observer } from 'mobx-react-lite';
import type { Scheme } from '../../supervisor/api/policy-types.ts';
import type { ReplayDifference, ReplayOutcome } from '../../supervisor/api/replay-types.ts';
import { displayAuthority } from '../../supervisor/api/request-line.ts';
import type { ReplayStore } from '../stores/replay.ts';
import { ErrorBox, formatTime, ruleSource } from './common.tsx';

function Outcome({ o }: { o: ReplayOutcome }) {
  return (
    <span className={`verdict ${o.action}`} title={o.reason}>
      {o.action === 'tunnel' ? 'inside the tunnel' : o.action}
      <small>{o.rule ? ruleSource(o.rule) : o.action === 'tunnel' ? '' : 'default'}</small>
    </span>
  );
}

function target(d: ReplayDifference): string {
  if (d.method === 'CONNECT') return `${d.host}:${d.port}`;
  return `${d.scheme}://${displayAuthority(d.scheme as Scheme, d.host, d.port)}${d.path}`;
}

function bySandbox(list: ReplayDifference[]): Array<[string, ReplayDifference[]]> {
  const groups = new Map<string, ReplayDifference[]>();
  for (const d of list) {
    const key = d.sandboxId ?? '(no sandbox)';
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  return [...groups];
}

export const ReplaySection = observer(function ReplaySection({ store }: { store: ReplayStore }) {
  if (!store.taskId && !store.error) return null;
  const task = store.task;
  const p = task?.progress;
  const r = store.result;
  return (
    <section className="replay" aria-labelledby="replay-title" data-replay-state={r?.state ?? 'running'}>
      <h2 id="replay-title">Recorded requests decided differently</h2>
      {store.error ? <ErrorBox error={store.error} /> : null}
      {store.running ? (
        <p className="replay-progress">
          {p?.total ? (
            <progress aria-label="Replay progress" value={p.done} max={p.total} />
          ) : (
            <progress aria-label="Replay progress" />
          )}{' '}
          Reading the audit trail{p?.total ? `: ${p.done} of ${p.total} records` : '…'}{' '}
          <button type="button" onClick={() => void store.cancel()} disabled={task?.cancellable === false}>
            Cancel
          </button>
        </p>
      ) : null}
      {r && r.state === 'cancelled' ? <p className="sub">Cancelled.</p> : null}
      {r && r.state === 'failed' ? <p className="error-line">The replay failed: {r.error}</p> : null}
      {r && r.state === 'done' ? (
        <>
          <p className="sub replay-summary">
            {r.requestsDiffering} of {r.scanned} recorded requests would be decided differently
            {r.differences.length > 0 ? ` (${r.differences.length} request shapes)` : ''}.
          </p>
          {bySandbox(r.differences).map(([sandbox, list]) => (
            <table key={sandbox} className="replay-table" aria-label={`Sandbox ${sandbox}`}>
              <caption>Sandbox {sandbox}</caption>
              <thead>
                <tr>
                  <th>Request</th>
                  <th>Seen</th>
                  <th>Last seen</th>
                  <th>Now</th>
                  <th>After the change</th>
                </tr>
              </thead>
              <tbody>
                {list.map((d) => (
                  <tr key={`${d.method} ${target(d)}`}>
                    <td>
                      <code>
                        {d.method} {target(d)}
                      </code>
                    </td>
                    <td className="count">×{d.count}</td>
                    <td>{formatTime(d.lastSeen)}</td>
                    <td>
                      <Outcome o={d.before} />
                    </td>
                    <td>
                      <Outcome o={d.after} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
          {r.truncated ? <p className="sub">More request shapes differ than are listed.</p> : null}
        </>
      ) : null}
    </section>
  );
});
