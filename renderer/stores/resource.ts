// One fetched value with its loading and error states: what every list and panel shows.

import { makeObservable, observable, observableRef, runInAction } from 'mobx';
import { type BridgeError, toBridgeError } from '../client/client.ts';

export class Resource<T> {
  value: T | undefined = undefined;
  loading = false;
  error: BridgeError | null = null;
  readonly #fetch: () => Promise<T>;
  #generation = 0;

  constructor(fetch: () => Promise<T>) {
    this.#fetch = fetch;
    makeObservable(this, { value: observableRef, loading: observable, error: observableRef });
  }

  async load(): Promise<void> {
    const generation = ++this.#generation;
    runInAction(() => {
      this.loading = true;
    });
    try {
      const value = await this.#fetch();
      if (generation !== this.#generation) return;
      runInAction(() => {
        this.value = value;
        this.error = null;
      });
    } catch (error) {
      if (generation !== this.#generation) return;
      runInAction(() => {
        this.error = toBridgeError(error);
      });
    } finally {
      if (generation === this.#generation)
        runInAction(() => {
          this.loading = false;
        });
    }
  }
}

/** Run an action, returning its error as a BridgeError instead of throwing. */
export async function attempt<T>(
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: BridgeError }> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error: toBridgeError(error) };
  }
}
