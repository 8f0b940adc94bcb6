// The daemon's long work (image builds, agent installs, audit verifies and exports: any kind) on
// the Agents page, as the desktop app shows it: each running task with its step, a progress bar
// (indeterminate while the total cannot be known), the time it has taken and Cancel; the
// recently ended with how they ended. The lines are the contract's (taskStepText,
// taskEndedText), the same in every client.

import { observer } from 'mobx-react';
import React from 'react';
import { taskEndedText, taskStepText } from '../../../supervisor/api/tasks.ts';
import { ErrorLine } from './ErrorLine.tsx';
import type { WardenStore } from './store.ts';

export const TaskList = observer(function TaskList({ store }: { store: WardenStore }) {
  const rows = store.tasks;
  if (rows.length === 0) return null;
  return (
    <section className="warden-section" aria-labelledby="warden-tasks-title" aria-live="polite">
      <h2 id="warden-tasks-title">Long work</h2>
      <ul className="warden-tasks">
        {rows.map((t) => {
          const key = `task:${t.id}`;
          const error = store.errors.get(key);
          const p = t.progress;
          return (
            <li key={t.id} className={`warden-task ${t.state}`} data-task={t.id}>
              <strong>{t.title}</strong>
              {t.state === 'running' ? (
                <>
                  {p?.total ? (
                    <progress aria-label={t.title} value={p.done} max={p.total} />
                  ) : (
                    <progress aria-label={t.title} />
                  )}
                  <span className="warden-muted warden-task-step">{taskStepText(t, store.now)}</span>
                  {t.cancellable ? (
                    <button
                      type="button"
                      className="deny"
                      disabled={store.busy.has(key)}
                      onClick={() => void store.cancelTask(t.id)}
                      aria-label={`Cancel: ${t.title}`}
                    >
                      Cancel
                    </button>
                  ) : null}
                </>
              ) : (
                <span className={`warden-pill state-${t.state}`}>{taskEndedText(t)}</span>
              )}
              {t.error ? <span className="warden-muted">{t.error}</span> : null}
              {error ? <ErrorLine error={error} /> : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
});
