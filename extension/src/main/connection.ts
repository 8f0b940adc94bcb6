// One connection to the local daemon: over its unix socket with the token from its state
// folder, through the one API client (supervisor/client). It checks the daemon's version,
// follows the event stream, keeps the pending approvals, and whenever the daemon is absent,
// refuses the token or goes away, says so and tries again with the shared backoff.

import { type Backoff, backoffDelay } from '../../../supervisor/api/backoff.ts';
import { isTaskEvent, type LiveEvent, type WardenEvent } from '../../../supervisor/api/events.ts';
import type { AnswerApprovalRequest, PreviewApprovalRequest } from '../../../supervisor/api/requests.ts';
import type { TaskEvent } from '../../../supervisor/api/tasks.ts';
import { ApiClient, ApiClientError, DaemonUnavailableError } from '../../../supervisor/client/api-client.ts';
import {
  type AnswerResult,
  type ClusterRef,
  type ConnectionView,
  type DaemonLocation,
  type IpcError,
  type NotificationsView,
  type PreviewResult,
  type Snapshot,
  START_DAEMON_COMMAND,
  type StopResult,
  type TerminalsView,
} from '../common/ipc.ts';
import { handshake } from './handshake.ts';
import { PendingApprovals } from './pending.ts';

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 10_000 };

export interface ConnectionOptions {
  /** Where the daemon is; read again before every attempt (the preference may change). */
  locate(): DaemonLocation;
  extensionVersion: string;
  /** The state folder chosen in the preferences, shown in the snapshot. */
  stateFolder?(): string | undefined;
  /** The notifications preference and whether they show, in the snapshot. */
  notifications?(): NotificationsView | undefined;
  /** The governed terminals, in the snapshot. */
  terminals?(): TerminalsView | undefined;
  /** The catalog's clusters with their API servers, in the snapshot. */
  clusters?(): ClusterRef[];
  backoff?: Backoff;
  /** How long the status call of the handshake may take. */
  statusTimeoutMs?: number;
  log(level: 'info' | 'warn', line: string): void;
  /** The snapshot changed (state or approvals). */
  onChange(snapshot: Snapshot): void;
  /** The stream opened on `client` (seed what follows events from here). */
  onOpen?(client: ApiClient): void;
  /** One event of the stream. */
  onEvent?(event: WardenEvent): void;
  /** A task (long work) started, moved on or ended. */
  onTask?(event: TaskEvent): void;
  /** The stream ended or the attempt failed: what was seeded is stale. */
  onClose?(): void;
}

/** Filled in by the loop with the delay before the next attempt. */
type Retrying = { retryInMs: number };

export class WardenConnection {
  readonly #o: ConnectionOptions;
  readonly #pending = new PendingApprovals();
  #view: ConnectionView = { kind: 'stopped' };
  #client: ApiClient | undefined;
  #abort: AbortController | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #attempt = 0;
  /** Set by retryNow and reconnect: the next attempt does not wait. */
  #now = false;
  /** Bumped by reconnect: an attempt of an older generation does not follow its stream. */
  #generation = 0;

  constructor(options: ConnectionOptions) {
    this.#o = options;
  }

  snapshot(): Snapshot {
    const stateFolder = this.#o.stateFolder?.();
    const notifications = this.#o.notifications?.();
    const terminals = this.#o.terminals?.();
    const clusters = this.#o.clusters?.() ?? [];
    return {
      connection: this.#view,
      extensionVersion: this.#o.extensionVersion,
      ...(stateFolder ? { stateFolder } : {}),
      ...(notifications ? { notifications } : {}),
      ...(terminals ? { terminals } : {}),
      ...(clusters.length > 0 ? { clusters } : {}),
      approvals: this.#view.kind === 'connected' ? this.#pending.list() : [],
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#abort?.abort();
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
    this.#pending.clear();
    this.#set({ kind: 'stopped' });
  }

  /** Try again now instead of waiting out the backoff. */
  retryNow(): void {
    this.#attempt = 0;
    this.#now = true;
    this.#wake?.();
  }

  /** Drop the stream (if any) and connect again at once: the location changed. */
  reconnect(): void {
    this.#attempt = 0;
    this.#now = true;
    this.#generation++;
    this.#set({ kind: 'connecting', where: this.#o.locate().socket });
    this.#abort?.abort();
    this.#wake?.();
  }

  async answer(id: string, body: AnswerApprovalRequest): Promise<AnswerResult> {
    const client = this.#client;
    if (!client) return { ok: false, gone: false, error: this.#notConnected() };
    try {
      const response = await client.call('POST /v1/approvals/:id', { params: { id }, body });
      if (this.#pending.remove(id)) this.#changed();
      return { ok: true, response };
    } catch (error) {
      return this.#failed(id, error);
    }
  }

  /** Stop and remove a sandbox (DELETE /v1/sandboxes/:id). */
  async stopSandbox(sandboxId: string): Promise<StopResult> {
    const client = this.#client;
    if (!client) return { ok: false, gone: false, error: this.#notConnected() };
    try {
      await client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId } });
      return { ok: true };
    } catch (error) {
      if (error instanceof ApiClientError && error.name === 'SandboxNotFound')
        return { ok: false, gone: true, error: error.details };
      return this.#failed('', error);
    }
  }

  async preview(id: string, body: PreviewApprovalRequest): Promise<PreviewResult> {
    const client = this.#client;
    if (!client) return { ok: false, gone: false, error: this.#notConnected() };
    try {
      return {
        ok: true,
        diff: await client.call('POST /v1/approvals/:id/preview', { params: { id }, body }),
      };
    } catch (error) {
      return this.#failed(id, error);
    }
  }

  /** An answer the daemon refused; an approval that is gone is no error, its card just goes. */
  #failed(id: string, error: unknown): { ok: false; gone: boolean; error: IpcError } {
    if (error instanceof ApiClientError && error.name === 'ApprovalNotFound') {
      if (this.#pending.remove(id)) this.#changed();
      return { ok: false, gone: true, error: error.details };
    }
    if (error instanceof ApiClientError) return { ok: false, gone: false, error: error.details };
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, gone: false, error: { name: 'DaemonUnavailable', message } };
  }

  #notConnected(): IpcError {
    const v = this.#view;
    if (v.kind === 'daemon-absent')
      return { name: 'DaemonUnavailable', message: v.message, hint: `start it with: ${v.command}` };
    if (v.kind === 'token-refused' || v.kind === 'version-mismatch')
      return { name: 'DaemonUnavailable', message: v.message, hint: v.hint };
    return { name: 'DaemonUnavailable', message: 'not connected to the Warden daemon yet; try again' };
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const next = await this.#once(this.#o.locate(), this.#generation);
      if (!this.#running) break;
      const delay = backoffDelay(this.#o.backoff ?? DEFAULT_BACKOFF, this.#attempt++);
      if (next) this.#set('retryInMs' in next ? { ...next, retryInMs: delay } : next);
      if (this.#now) {
        this.#now = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
      this.#now = false;
    }
  }

  /** One attempt: handshake, then follow the stream until it ends. Returns the state to show while waiting. */
  async #once(location: DaemonLocation, generation: number): Promise<ConnectionView | undefined> {
    const retry: Retrying = { retryInMs: 0 };
    const where = location.socket;
    // While retrying, what is wrong stays on show; "connecting" is for the first attempt.
    if (this.#view.kind === 'stopped') this.#set({ kind: 'connecting', where });
    try {
      const client = await ApiClient.fromFiles(location.socket, location.tokenFile, 'lens');
      const status = await client.call('GET /v1/status', { timeoutMs: this.#o.statusTimeoutMs ?? 5000 });
      if (generation !== this.#generation) return { kind: 'connecting', where };
      const agreed = handshake(this.#o.extensionVersion, status.version);
      if (!agreed.ok) {
        const { newer, message, hint } = agreed;
        const daemonVersion = status.version;
        const extensionVersion = this.#o.extensionVersion;
        if (this.#view.kind !== 'version-mismatch') this.#o.log('warn', `${message}; ${hint}`);
        return {
          kind: 'version-mismatch',
          where,
          daemonVersion,
          extensionVersion,
          newer,
          message,
          hint,
          ...retry,
        };
      }
      const abort = new AbortController();
      this.#abort = abort;
      await client.events((event) => this.#onEvent(event), {
        tasks: true,
        signal: abort.signal,
        onOpen: () => {
          this.#client = client;
          this.#attempt = 0;
          this.#pending.opened();
          this.#set({ kind: 'connected', where, daemonVersion: status.version });
          this.#o.log('info', `connected to the Warden daemon ${status.version} at ${where}`);
          void this.#seed(client);
          this.#o.onOpen?.(client);
        },
      });
      if (this.#running) this.#o.log('info', `the Warden daemon at ${where} closed the event stream`);
      return { kind: 'connecting', where };
    } catch (error) {
      return this.#classify(location, error, retry);
    } finally {
      this.#client = undefined;
      this.#abort = undefined;
      if (this.#pending.clear()) this.#changed();
      this.#o.onClose?.();
    }
  }

  #classify(location: DaemonLocation, error: unknown, retry: Retrying): ConnectionView {
    const where = location.socket;
    if (error instanceof DaemonUnavailableError) {
      return {
        kind: 'daemon-absent',
        where,
        message: `the Warden daemon is not running (nothing answers at ${where}, state folder ${location.home})`,
        command: START_DAEMON_COMMAND,
        ...retry,
      };
    }
    if (error instanceof ApiClientError && error.status === 401) {
      return {
        kind: 'token-refused',
        where,
        message: `the Warden daemon at ${where} refused the token in ${location.tokenFile}`,
        hint: "the token file is not the running daemon's: restart the daemon (warden daemon), or choose the state folder that daemon uses",
        ...retry,
      };
    }
    const message = error instanceof Error ? error.message : String(error);
    if (this.#view.kind !== 'error') this.#o.log('warn', `the Warden daemon at ${where} failed: ${message}`);
    return { kind: 'error', where, message, ...retry };
  }

  async #seed(client: ApiClient): Promise<void> {
    try {
      const list = await client.call('GET /v1/approvals');
      if (this.#client === client && this.#pending.reset(list)) this.#changed();
    } catch (error) {
      this.#o.log('warn', `could not list the pending approvals: ${(error as Error).message}`);
    }
  }

  #onEvent(event: LiveEvent): void {
    if (isTaskEvent(event)) {
      this.#o.onTask?.(event);
      return;
    }
    if (this.#pending.apply(event)) this.#changed();
    this.#o.onEvent?.(event);
  }

  #set(view: ConnectionView): void {
    this.#view = view;
    this.#changed();
  }

  #changed(): void {
    this.#o.onChange(this.snapshot());
  }
}
