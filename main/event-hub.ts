// One live event stream from the daemon, shared by every consumer in main (windows, tray,
// notifications). Reconnects with capped backoff whenever the stream ends or the daemon
// is unreachable; consumers subscribe and get a disposer.

import { type Backoff, backoffDelay } from '../supervisor/api/backoff.ts';
import type { ConnectionState } from '../supervisor/api/bridge.ts';
import type { LiveEvent } from '../supervisor/api/events.ts';
import { type Clock, type DaemonApi, realClock } from './daemon-supervisor.ts';

export type EventListener = (event: LiveEvent) => void;

export interface EventHubOptions {
  getClient(): Promise<DaemonApi>;
  clock?: Clock;
  backoff?: Backoff;
  log?: (line: string) => void;
}

export class EventHub {
  readonly #o: EventHubOptions;
  readonly #clock: Clock;
  readonly #listeners = new Set<EventListener>();
  readonly #onConnect = new Set<() => void>();
  readonly #onState = new Set<(state: ConnectionState) => void>();
  #abort: AbortController | undefined;
  #running = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #attempt = 0;
  #state: ConnectionState = 'connecting';

  constructor(options: EventHubOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
  }

  get connected(): boolean {
    return this.#state === 'open';
  }

  /** The stream's state now: connecting until it first opens, then open or closed. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Every change of the stream's state. */
  onState(listener: (state: ConnectionState) => void): () => void {
    this.#onState.add(listener);
    return () => {
      this.#onState.delete(listener);
    };
  }

  /** Receive every event; the stream starts with the first subscriber. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    this.start();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Called each time the stream (re)opens: a moment to re-read state the events will only update. */
  onConnect(listener: () => void): () => void {
    this.#onConnect.add(listener);
    return () => {
      this.#onConnect.delete(listener);
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Try again now (e.g. the daemon just became RUNNING) instead of waiting out the backoff. */
  retryNow(): void {
    this.#attempt = 0;
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#abort?.abort();
    this.#wake?.();
    await this.#loop;
  }

  delay(attempt: number): number {
    return backoffDelay(this.#o.backoff ?? { initialMs: 500, maxMs: 15_000 }, attempt);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const abort = new AbortController();
      this.#abort = abort;
      try {
        const client = await this.#o.getClient();
        if (!this.#running) break;
        await client.events((event) => this.#emit(event), {
          signal: abort.signal,
          tasks: true,
          onOpen: () => {
            this.#attempt = 0;
            this.#setState('open');
            for (const l of this.#onConnect) l();
          },
        });
      } catch (error) {
        this.#o.log?.(`event stream: ${(error as Error).message}`);
      }
      if (this.#state === 'open') this.#setState('closed');
      if (!this.#running) break;
      const ms = this.delay(this.#attempt++);
      await new Promise<void>((resolve) => {
        const t = this.#clock.setTimeout(resolve, ms);
        this.#wake = () => {
          this.#clock.clearTimeout(t);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    for (const l of this.#onState) l(state);
  }

  #emit(event: LiveEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (error) {
        this.#o.log?.(`event listener failed: ${(error as Error).message}`);
      }
    }
  }
}
