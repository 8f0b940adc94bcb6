// Governed Lens terminals: the host asks every extension's terminalShellEnvModifier for the
// environment of each terminal it opens (a cluster's), synchronously. For the clusters the
// preference names, main answers with the environment of a Warden listener it keeps for
// Lens terminals (proxy variables with its credential, the CA bundle), so an agent started
// there (claude, codex) is governed and audited like one in a sandbox. While there is no
// listener (daemon absent, not made yet) those terminals fail closed: their proxy is a port
// that refuses, and WARDEN_TERMINAL says why. The credential never leaves main.

import type { ApiClient } from '../../../supervisor/client/api-client.ts';
import type { CatalogCluster, TerminalsPref, TerminalsView } from '../common/ipc.ts';
import { ReadOnlyClusters } from './read-only.ts';

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
  const names = (list: unknown[]) =>
    list.every((c) => typeof c === 'string' && c.length > 0 && c.length <= MAX_NAME);
  if (!names(clusters)) return `a cluster is a name of 1 to ${MAX_NAME} characters`;
  const { readOnly } = value as { readOnly?: unknown };
  if (readOnly === undefined) return undefined;
  if (!Array.isArray(readOnly) || readOnly.length > MAX_CLUSTERS || !names(readOnly))
    return `read-only clusters are a list of at most ${MAX_CLUSTERS} names of 1 to ${MAX_NAME} characters`;
  return undefined;
}

export interface TerminalGovernorOptions {
  pref(): TerminalsPref;
  /** The host catalog's clusters (where each one's kubeconfig is), for the read-only ones. */
  catalog(): readonly CatalogCluster[];
  /** main's own folder: the read-only clusters' kubeconfigs are written under it. */
  folder: string;
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
  readonly #readOnly: ReadOnlyClusters;
  /** The read-only clusters and their catalog entries the listener was made for. */
  #madeFor = '';

  constructor(options: TerminalGovernorOptions) {
    this.#o = options;
    this.#readOnly = new ReadOnlyClusters({ folder: options.folder, log: options.log });
  }

  /** What the listener depends on: the read-only clusters and where their kubeconfigs are. */
  #readOnlyKey(): string {
    const names = this.#o.pref().readOnly ?? [];
    return JSON.stringify(names.map((n) => [n, this.#o.catalog().find((c) => c.name === n) ?? null]));
  }

  #off(): boolean {
    const pref = this.#o.pref();
    return pref.mode === 'off' && (pref.readOnly ?? []).length === 0;
  }

  view(): TerminalsView {
    const pref = this.#o.pref();
    if (this.#off()) return { pref };
    const readOnly = this.#listener ? this.#readOnly.view() : [];
    return {
      pref,
      ...(this.#listener ? { sandboxId: this.#listener.sandboxId } : {}),
      ...(!this.#listener && this.#problem ? { problem: this.#problem } : {}),
      ...(readOnly.length > 0 ? { readOnly } : {}),
    };
  }

  governs(ctx: ShellEnvContext): boolean {
    const pref = this.#o.pref();
    const meta = ctx.catalogEntity?.metadata;
    const named = (list: readonly string[]) => list.some((c) => c === meta?.name || c === meta?.uid);
    if (named(pref.readOnly ?? [])) return true;
    if (pref.mode === 'all') return true;
    if (pref.mode === 'off') return false;
    return named(pref.clusters);
  }

  /** The host's terminalShellEnvModifier. */
  modify(ctx: ShellEnvContext, env: ShellEnv): ShellEnv {
    if (!this.governs(ctx)) return env;
    if (this.#listener) {
      const kube = this.#readOnly.envFor(ctx.catalogEntity?.metadata);
      return { ...env, ...this.#listener.env, WARDEN_TERMINAL: 'governed', ...kube };
    }
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
    this.#madeFor = '';
    this.#problem = 'not connected to the Warden daemon';
    if (had) this.#o.onChange();
  }

  /** Make or remove the listener to match the preference. */
  async sync(): Promise<void> {
    await this.#making;
    const client = this.#client;
    if (!client) return;
    if (this.#off()) {
      await this.remove();
      return;
    }
    const key = this.#readOnlyKey();
    // The read-only clusters changed: the listener's preset and secrets are made anew.
    if (this.#listener && this.#madeFor !== key) await this.remove();
    if (this.#listener) return;
    this.#making = (async () => {
      try {
        const prepared = await this.#readOnly.prepare(
          client,
          this.#o.pref().readOnly ?? [],
          this.#o.catalog(),
        );
        const { sandbox, env } = await client.call('POST /v1/sandboxes', {
          body: {
            kind: 'host',
            label: TERMINAL_LABEL,
            ...(prepared.preset ? { preset: prepared.preset } : {}),
            ...(prepared.secrets.length > 0 ? { secrets: prepared.secrets } : {}),
          },
        });
        if (this.#client !== client || !env) return;
        await this.#readOnly.written(env, sandbox.placeholders);
        this.#listener = { sandboxId: sandbox.sandboxId, env };
        this.#madeFor = key;
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
    this.#madeFor = '';
    if (!listener || !this.#client) return;
    await this.#client
      .call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: listener.sandboxId } })
      .catch((error: Error) =>
        this.#o.log('warn', `could not remove ${listener.sandboxId}: ${error.message}`),
      );
    await this.#readOnly.clear(this.#client);
    this.#o.onChange();
  }
}
