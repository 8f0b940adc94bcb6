// `warden tasks [--json]` and `warden tasks cancel ID`: the daemon's long work (image
// builds, agent installs), as the desktop app shows it.

import { Command } from 'commander';
import type { TaskView } from '../api/tasks.ts';
import { connectOrStart, printJson } from './connect.ts';

export function formatTasks(list: TaskView[], now = Date.now()): string {
  if (list.length === 0) return 'no long work running or recently ended\n';
  const rows = list.map((t) => {
    const end = t.endedAt ? Date.parse(t.endedAt) : now;
    const secs = `${Math.round((end - Date.parse(t.startedAt)) / 1000)} s`;
    const p = t.progress
      ? `${t.progress.done}${t.progress.total ? `/${t.progress.total}` : ''} ${t.progress.unit}`
      : '';
    const what = t.state === 'running' ? (t.step ?? '') : (t.error ?? '');
    return [t.id, t.state, t.title, secs, p, what];
  });
  const head = ['ID', 'STATE', 'WHAT', 'TIME', 'PROGRESS', 'STEP / ERROR'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return `${[head, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export function tasksCommand(): Command {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const tasks = new Command('tasks')
    .description('Long work the daemon is doing (image builds, agent installs) and how recent work ended.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await (await connectOrStart(undefined, say)).call('GET /v1/tasks');
      if (opts.json) return printJson(list);
      process.stdout.write(formatTasks(list));
    });
  tasks
    .command('cancel')
    .description('Ask a running task to stop (it ends as cancelled once its work has stopped).')
    .argument('<id>', 'the task’s id (see: warden tasks)')
    .action(async (id: string) => {
      const out = await (await connectOrStart(undefined, say)).call('POST /v1/tasks/:taskId/cancel', {
        params: { taskId: id },
      });
      process.stdout.write(`cancelling ${out.task.id}: ${out.task.title}\n`);
    });
  return tasks;
}
