// The one internal interface every governance event goes through. Emission is
// synchronous: when `emit` returns, every subscriber (the audit store among them) has
// taken the event.

import type { WardenEvent } from '../api/events.ts';

export type Listener = (event: WardenEvent) => void;
export type Disposer = () => void;

export class EventBus {
  readonly #listeners = new Set<Listener>();
  readonly #onError: (error: unknown, event: WardenEvent) => void;

  constructor(onError: (error: unknown, event: WardenEvent) => void = () => {}) {
    this.#onError = onError;
  }

  subscribe(listener: Listener): Disposer {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: WardenEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#onError(error, event);
      }
    }
  }
}
