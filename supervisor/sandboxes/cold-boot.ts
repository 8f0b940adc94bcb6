// A sandbox VM's cold boot (no warm VM fitted), shown as long work: under TCG it takes
// seconds, so every client shows its phase and elapsed time and can cancel it (the VM is
// stopped and the create that asked for it fails with `Cancelled`).

import type { TaskBoard } from '../tasks/index.ts';
import { runTask } from '../tasks/index.ts';
import type { Vm } from '../vm/index.ts';

export interface ColdBootTasks {
  board: TaskBoard;
}

export async function coldBoot(
  vm: Vm,
  o: { tasks: ColdBootTasks | undefined; sandboxId: string; user: string },
): Promise<void> {
  if (!o.tasks) return vm.start();
  return runTask(
    o.tasks.board,
    {
      kind: 'vm.boot',
      title: `Starting sandbox ${o.sandboxId}`,
      user: o.user,
      sandboxId: o.sandboxId,
      cancellable: true,
    },
    async (task) => {
      const stop = () => void vm.stop({ graceMs: 0 }).catch(() => {});
      task.signal.addEventListener('abort', stop, { once: true });
      try {
        await vm.start({ onStep: (step) => task.step(step) });
      } finally {
        task.signal.removeEventListener('abort', stop);
      }
    },
  );
}
