// The lifecycle of one VM, as a small state machine that emits `state-changed`. The states
// are the contract's (supervisor/api/lifecycle.ts); which moves a VM may make is decided here.
//
//   STOPPED ──start──▶ STARTING ──agent hello──▶ RUNNING ──stop──▶ STOPPING ──▶ STOPPED
//      any state ──QEMU died / boot deadline / failure──▶ ERROR(reason) ──start──▶ STARTING

import { LifecycleState } from '../api/lifecycle.ts';

export interface StateChange {
  from: LifecycleState;
  to: LifecycleState;
  /** Why, for ERROR (and informative for others). */
  reason?: string;
  at: number;
}

const ALLOWED: Record<LifecycleState, LifecycleState[]> = {
  STOPPED: ['STARTING'],
  STARTING: ['RUNNING', 'STOPPING', 'ERROR'],
  RUNNING: ['STOPPING', 'ERROR'],
  STOPPING: ['STOPPED', 'ERROR'],
  ERROR: ['STARTING', 'STOPPING', 'STOPPED'],
};

export type StateListener = (change: StateChange) => void;

export class VmStateMachine {
  private current: LifecycleState = LifecycleState.STOPPED;
  private lastReason: string | undefined;
  private readonly listeners = new Set<StateListener>();

  constructor(private readonly now: () => number = Date.now) {}

  get state(): LifecycleState {
    return this.current;
  }

  /** The reason of the last ERROR (or other change that gave one). */
  get reason(): string | undefined {
    return this.lastReason;
  }

  canMove(to: LifecycleState): boolean {
    return ALLOWED[this.current].includes(to);
  }

  /** Moves to `to`, or throws if the lifecycle does not allow it. */
  move(to: LifecycleState, reason?: string): void {
    if (!this.canMove(to)) throw new Error(`VM cannot go from ${this.current} to ${to}`);
    const change: StateChange = { from: this.current, to, at: this.now() };
    if (reason !== undefined) change.reason = reason;
    this.current = to;
    this.lastReason = reason;
    for (const l of [...this.listeners]) l(change);
  }

  /** Subscribes; returns the disposer. */
  onChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
