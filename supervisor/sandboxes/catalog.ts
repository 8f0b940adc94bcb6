// Every sandbox as one resource, whatever its kind: a microVM (its view comes from
// vm-sandboxes.ts) or a host process's proxy listener (sandboxes.ts alone). The API lists,
// shows and removes sandboxes through here; the deprecated listener views too.

import { WardenError } from '../api/errors.ts';
import type { HostSandboxView, ListenerView, SandboxKind, SandboxView } from '../api/index.ts';
import type { Sandbox } from './sandbox.ts';
import type { Sandboxes } from './sandboxes.ts';
import type { VmSandboxes } from './vm-sandboxes.ts';

export interface SandboxCatalogDeps {
  /** Every sandbox's identity and listener, of both kinds. */
  sandboxes: Pick<Sandboxes, 'list'>;
  /** The VM sandboxes' machines. */
  vms: Pick<VmSandboxes, 'list' | 'has' | 'view'>;
  /** The address listeners are shown on (127.0.0.1). */
  listenHost: string;
  /** Approval prompts a human saw in the last hour, per sandbox. */
  promptsLastHour?: (sandboxId: string) => number;
}

export class SandboxCatalog {
  readonly #d: SandboxCatalogDeps;

  constructor(deps: SandboxCatalogDeps) {
    this.#d = deps;
  }

  /** Every sandbox, oldest first. */
  list(): SandboxView[] {
    const hosts = this.#d.sandboxes
      .list()
      .filter((s) => s.kind === 'host')
      .map((s) => this.hostView(s));
    return [...this.#d.vms.list(), ...hosts]
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.sandboxId.localeCompare(b.sandboxId))
      .map((v) => this.#withRate(v));
  }

  view(sandboxId: string): SandboxView {
    return this.#withRate(
      this.kindOf(sandboxId) === 'vm' ? this.#d.vms.view(sandboxId) : this.hostView(this.#host(sandboxId)),
    );
  }

  #withRate(view: SandboxView): SandboxView {
    const rate = this.#d.promptsLastHour;
    return rate ? { ...view, promptsLastHour: rate(view.sandboxId) } : view;
  }

  /** The kind of a sandbox; SandboxNotFound when there is none by that id. */
  kindOf(sandboxId: string): SandboxKind {
    if (this.#d.vms.has(sandboxId)) return 'vm';
    this.#host(sandboxId);
    return 'host';
  }

  hostView(sandbox: Sandbox): HostSandboxView {
    return { kind: 'host', ...sandbox.listenerView(this.#d.listenHost) };
  }

  /** @deprecated Every sandbox's listener, as the `/v1/listeners` routes showed them. */
  listeners(): ListenerView[] {
    return this.#d.sandboxes.list().map((s) => ({ ...s.listenerView(this.#d.listenHost), kind: s.kind }));
  }

  #host(sandboxId: string): Sandbox {
    // A VM sandbox's listener without its machine is one being made or removed: not shown.
    const found = this.#d.sandboxes
      .list()
      .find((s) => s.identity.sandboxId === sandboxId && s.kind === 'host');
    if (!found)
      throw new WardenError('SandboxNotFound', `no sandbox ${sandboxId}`, 'list them with: warden ps');
    return found;
  }
}
