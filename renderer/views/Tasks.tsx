// The long work strip under the header: each running task (an image build, an agent
// install) with its step, a progress bar (indeterminate while the total cannot be known),
// what it has fetched so far, the time it has taken and a Cancel; an ended one stays until
// closed, a failure with its reason.

import { observer } from 'mobx-react-lite';
import { type TaskView, taskEndedText, taskStepText } from '../../supervisor/api/tasks.ts';
import type { TasksStore } from '../stores/tasks.ts';
import { useNow } from './charts/RateChart.tsx';

const TaskRow = observer(function TaskRow({ task, store }: { task: TaskView; store: TasksStore }) {
  const now = useNow(1000);
  const p = task.progress;
  const refused = store.cancelError?.id === task.id ? store.cancelError.error : null;
  return (
    <li className={`task ${task.state}`} data-task={task.id}>
      <span className="task-title">{task.title}</span>
      {task.state === 'running' ? (
        <>
          {p?.total ? (
            <progress aria-label={task.title} value={p.done} max={p.total} />
          ) : (
            <progress aria-label={task.title} />
          )}
          <span className="task-step">{taskStepText(task, now)}</span>
          {task.cancellable ? (
            <button type="button" onClick={() => void store.cancel(task.id)}>
              Cancel
            </button>
          ) : null}
        </>
      ) : (
        <>
          <span className={`task-state ${task.state}`}>{taskEndedText(task)}</span>
          {task.error ? <span className="task-error">{task.error}</span> : null}
          <button type="button" aria-label={`Close: ${task.title}`} onClick={() => store.dismiss(task.id)}>
            ×
          </button>
        </>
      )}
      {refused ? (
        <span className="task-error" role="alert">
          {refused.message}
        </span>
      ) : null}
    </li>
  );
});

export const TasksStrip = observer(function TasksStrip({ store }: { store: TasksStore }) {
  const shown = store.shown;
  if (shown.length === 0) return null;
  return (
    <section className="tasks" aria-label="Long work" aria-live="polite">
      <ul>
        {shown.map((t) => (
          <TaskRow key={t.id} task={t} store={store} />
        ))}
      </ul>
    </section>
  );
});
