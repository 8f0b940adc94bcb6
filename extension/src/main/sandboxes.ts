// The sandboxes main keeps for the renderer: listed when the stream opens and again when an
// event says the set changed or a prompt was shown (its rate per hour); a VM's state follows
// its sandbox.state events. What crosses to the renderer is a SandboxRow, never a proxy
// credential.

import type { WardenEvent } from '../../../supervisor/api/events.ts';
import type { SandboxView } from '../../../supervisor/api/sandbox-types.ts';
import type { SandboxRow } from '../common/ipc.ts';

export function toSandboxRow(s: SandboxView): SandboxRow {
  const base = {
    sandboxId: s.sandboxId,
    label: s.label,
    user: s.user,
    createdAt: s.createdAt,
    ...(s.promptsLastHour !== undefined ? { promptsLastHour: s.promptsLastHour } : {}),
  };
  if (s.kind === 'host')
    return { ...base, kind: 'host', state: 'RUNNING', detail: `host process behind ${s.proxyUrl}` };
  return {
    ...base,
    kind: 'vm',
    state: s.state,
    ...(s.reason ? { reason: s.reason } : {}),
    detail: `${s.image.name} · ${s.cpus} CPU · ${s.memoryMiB} MiB${s.accel ? ` · ${s.accel.accel}` : ''}`,
  };
}

export class SandboxList {
  #rows: SandboxRow[] = [];

  rows(): SandboxRow[] {
    return this.#rows;
  }

  set(list: SandboxView[]): void {
    this.#rows = list.map(toSandboxRow).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  clear(): boolean {
    const had = this.#rows.length > 0;
    this.#rows = [];
    return had;
  }

  remove(sandboxId: string): boolean {
    const before = this.#rows.length;
    this.#rows = this.#rows.filter((r) => r.sandboxId !== sandboxId);
    return this.#rows.length !== before;
  }

  /**
   * Apply one event: 'changed' when the rows changed in place, 'refetch' when the set may
   * have changed (a sandbox created or removed), undefined when it is not about sandboxes.
   */
  apply(event: WardenEvent): 'changed' | 'refetch' | undefined {
    if (event.type === 'sandbox.state') {
      const i = this.#rows.findIndex((r) => r.sandboxId === event.sandboxId);
      if (i < 0) return 'refetch';
      const row = { ...this.#rows[i]!, state: event.state };
      if (event.reason) row.reason = event.reason;
      else delete row.reason;
      this.#rows = this.#rows.map((r, j) => (j === i ? row : r));
      return 'changed';
    }
    if (event.type === 'user.action' && /^(sandbox|listener)\./.test(event.action)) return 'refetch';
    // A prompt a human sees counts toward its sandbox's rate: list again for the new count.
    if (event.type === 'approval.pending') return 'refetch';
    return undefined;
  }
}
