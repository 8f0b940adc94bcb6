// Governed Lens terminals: the host asks every extension's terminalShellEnvModifier for the
// environment of each terminal it opens (a cluster's), synchronously. For the clusters the
// preference names, main answers with the environment of a Warden listener it keeps for
// Lens terminals (proxy variables with its credential, the CA bundle), so an agent started
// there (claude, codex) is governed and audited like one in a sandbox. While there is no
// listener (daemon absent, not made yet) those terminals fail closed: their proxy is a port
// that refuses, and WARDEN_TERMINAL says why. The credential never leaves main.

import type { ApiClient } from '../../../supervisor/client/api-client.ts';
import type { TerminalsPref, TerminalsView } from '../common/ipc.ts';

export const TERMINAL_LABEL = 'lens-terminal';
/** The discard port on loopback: nothing listens, so a governed terminal reaches nothing. */
export const CLOSED_PROXY = 'http://127.0.0.1:9';
const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY'];
const MAX_CLUSTERS = 100;
const MAX_NAME = 200;

export type ShellEnv = Record<string, string | undefined>;

/** What the host passes: the terminal's catalog entity (a KubernetesCluster). */
export interface ShellEnvContext {
  catalogEntity?: { metadata?: { name?: unknown; uid?: unknown } };
}

export function terminalsPrefProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'the terminals preference is { mode, clusters }';
  const { mode, clusters } = value as { mode?: unknown; clusters?: unknown };
  if (mode !== 'off' && mode !== 'all' && mode !== 'listed') return 'terminals are off, all or listed';
  if (!Array.isArray(clusters) || clusters.length > MAX_CLUSTERS)
    return `clusters are a list of at most ${MAX_CLUSTERS} names`;
  if (!clusters.every((c) => typeof c === 'string' && c.length > 0 && c.length <= MAX_NAME))
    return `a cluster is a name of 1 to ${MAX_NAME} characters`;
  return undefined;
}

export interface TerminalGovernorOptions {
  pref(): TerminalsPref;
  log(level: 'info' | 'warn', line: string): void;
  /** The view changed (a listener made or lost). */
  onChange(): void;
}

export class TerminalGovernor {
  readonly #o: TerminalGovernorOptions;
  #client: ApiClient | undefined;
  #listener: { sandboxId: string; env: Record<string, string> } | undefined;
  #problem: string | undefined = 'not connected to the Warden daemon';
  #making: Promise<void> | undefined;

  constructor(options: TerminalGovernorOptions) {
    this.#o = options;
  }

  view(): TerminalsView {
    const pref = this.#o.pref();
    if (pref.mode === 'off') return { pref };
    return {
      pref,
      ...(this.#listener ? { sandboxId: this.#listener.sandboxId } : {}),
      ...(!this.#listener && this.#problem ? { problem: this.#problem } : {}),
    };
  }

  governs(ctx: ShellEnvContext): boolean {
    const pref = this.#o.pref();
    if (pref.mode === 'all') return true;
    if (pref.mode === 'off') return false;
    const meta = ctx.catalogEntity?.metadata;
    return pref.clusters.some((c) => c === meta?.name || c === meta?.uid);
  }

  /** The host's terminalShellEnvModifier. */
  modify(ctx: ShellEnvContext, env: ShellEnv): ShellEnv {
    if (!this.governs(ctx)) return env;
    if (this.#listener) return { ...env, ...this.#listener.env, WARDEN_TERMINAL: 'governed' };
    const closed: ShellEnv = { ...env, NO_PROXY: '', no_proxy: '' };
    for (const name of PROXY_VARS) closed[name] = CLOSED_PROXY;
    closed.WARDEN_TERMINAL = `not governed yet (${this.#problem ?? 'no listener'}): requests from this terminal are refused; reopen it once Warden is connected`;
    return closed;
  }

  opened(client: ApiClient): void {
    this.#client = client;
    this.#listener = undefined;
    this.#problem = 'making the listener';
    void this.sync();
  }

  closed(): void {
    const had = this.#client !== undefined || this.#listener !== undefined;
    this.#client = undefined;
    this.#listener = undefined;
    this.#problem = 'not connected to the Warden daemon';
    if (had) this.#o.onChange();
  }

  /** Make or remove the listener to match the preference. */
  async sync(): Promise<void> {
    await this.#making;
    const client = this.#client;
    if (!client) return;
    if (this.#o.pref().mode === 'off') {
      await this.remove();
      return;
    }
    if (this.#listener) return;
    this.#making = (async () => {
      try {
        const { sandbox, env } = await client.call('POST /v1/sandboxes', {
          body: { kind: 'host', label: TERMINAL_LABEL },
        });
        if (this.#client !== client || !env) return;
        this.#listener = { sandboxId: sandbox.sandboxId, env };
        this.#problem = undefined;
        this.#o.log('info', `Lens terminals go through the Warden listener ${sandbox.sandboxId}`);
      } catch (error) {
        this.#problem = `the daemon made no listener: ${(error as Error).message}`;
        this.#o.log('warn', this.#problem);
      } finally {
        this.#making = undefined;
        this.#o.onChange();
      }
    })();
    await this.#making;
  }

  /** Remove the listener (the preference went off, or the extension stops). */
  async remove(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    if (!listener || !this.#client) return;
    await this.#client
      .call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: listener.sandboxId } })
      .catch((error: Error) =>
        this.#o.log('warn', `could not remove ${listener.sandboxId}: ${error.message}`),
      );
    this.#o.onChange();
  }
}
