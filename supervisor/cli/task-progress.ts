// Long work seen from the terminal: while a CLI call waits on the daemon (an agent install),
// it follows the matching task on the event stream and says each new step, with what has
// been fetched so far every 15 s; Ctrl-C asks the daemon to cancel that work rather than
// leaving it running unseen.

import type { TaskKind, TaskView } from '../api/tasks.ts';
import type { ApiClient } from '../client/api-client.ts';

export interface FollowOptions {
  kind: TaskKind;
  /** Which task of that kind is ours (e.g. by its title). */
  match: (task: TaskView) => boolean;
  say: (line: string) => void;
  /** How often to repeat where it stands when no step changed (default 15 s). */
  everyMs?: number;
}

export interface Following {
  /** The task followed, once seen. */
  task(): TaskView | undefined;
  stop(): void;
}

function line(t: TaskView): string {
  const counts = t.progress
    ? `, ${t.progress.done}${t.progress.total ? ` of ${t.progress.total}` : ''} ${t.progress.unit}`
    : '';
  const secs = Math.round((Date.now() - Date.parse(t.startedAt)) / 1000);
  return `warden:   ${t.step ?? 'working'} (${secs} s${counts}${t.detail ? `; ${t.detail}` : ''})`;
}

export function followTask(client: ApiClient, o: FollowOptions): Following {
  const abort = new AbortController();
  let ours: TaskView | undefined;
  let lastStep: string | undefined;
  const onTask = (t: TaskView) => {
    if (!ours && (t.kind !== o.kind || t.state !== 'running' || !o.match(t))) return;
    if (ours && t.id !== ours.id) return;
    ours = t;
    if (t.state === 'running' && t.step && t.step !== lastStep) {
      lastStep = t.step;
      o.say(line(t));
    }
  };
  void client
    .events(
      (e) => {
        if (e.type === 'task.updated') onTask(e.task);
      },
      { tasks: true, types: ['task.updated'], signal: abort.signal },
    )
    .catch(() => {}); // progress is a courtesy: the call itself reports what went wrong
  const tick = setInterval(() => {
    if (ours?.state === 'running') o.say(line(ours));
  }, o.everyMs ?? 15_000);
  // Ctrl-C while the daemon works for us: cancel that work, then leave as Ctrl-C does.
  const onInt = () => {
    const id = ours?.id;
    const leave = () => process.exit(130);
    if (!id || !ours?.cancellable) return leave();
    o.say(`warden: cancelling ${ours.title}…`);
    client
      .call('POST /v1/tasks/:taskId/cancel', { params: { taskId: id } })
      .catch((error: Error) => o.say(`warden: the cancel was refused: ${error.message}`))
      .finally(leave);
  };
  process.once('SIGINT', onInt);
  return {
    task: () => ours,
    stop: () => {
      clearInterval(tick);
      abort.abort();
      process.removeListener('SIGINT', onInt);
    },
  };
}
