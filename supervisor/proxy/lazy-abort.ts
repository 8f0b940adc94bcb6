// An exchange's abort signal, made only when something waits on it: a request the policy
// decides is forwarded without ever needing one, and an AbortController (an EventTarget)
// costs microseconds on every request's path. Approvals, budget holds, MCP and package
// relays ask for `.signal`; it is aborted at once if the client already went away.

/** What the decision path needs of an exchange's abort: its signal, asked for when waited on. */
export interface Aborter {
  readonly signal: AbortSignal;
}

export class LazyAbort implements Aborter {
  #controller: AbortController | undefined;
  #aborted = false;

  /** The client went away. */
  get aborted(): boolean {
    return this.#aborted;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller?.abort();
  }
}
