// The lifecycle of one VM, as a small state machine that emits `state-changed`.
//
//   STOPPED ──start──▶ STARTING ──agent hello──▶ RUNNING ──stop──▶ STOPPING ──▶ STOPPED
//      any state ──QEMU died / boot deadline / failure──▶ ERROR(reason) ──start──▶ STARTING

export const VmState = {
  /** No QEMU process. */
  stopped: 'STOPPED',
  /** QEMU is running; the guest agent has not said hello yet. */
  starting: 'STARTING',
  /** The guest agent answered; commands can run. */
  running: 'RUNNING',
  /** Power-off asked; waiting for QEMU to exit (then TERM, then KILL). */
  stopping: 'STOPPING',
  /** Something failed; `reason` says what. No QEMU process is left running. */
  error: 'ERROR',
} as const;
export type VmState = (typeof VmState)[keyof typeof VmState];

export interface StateChange {
  from: VmState;
  to: VmState;
  /** Why, for ERROR (and informative for others). */
  reason?: string;
  at: number;
}

const ALLOWED: Record<VmState, VmState[]> = {
  STOPPED: ['STARTING'],
  STARTING: ['RUNNING', 'STOPPING', 'ERROR'],
  RUNNING: ['STOPPING', 'ERROR'],
  STOPPING: ['STOPPED', 'ERROR'],
  ERROR: ['STARTING', 'STOPPING', 'STOPPED'],
};

export type StateListener = (change: StateChange) => void;

export class VmStateMachine {
  private current: VmState = VmState.stopped;
  private lastReason: string | undefined;
  private readonly listeners = new Set<StateListener>();

  constructor(private readonly now: () => number = Date.now) {}

  get state(): VmState {
    return this.current;
  }

  /** The reason of the last ERROR (or other change that gave one). */
  get reason(): string | undefined {
    return this.lastReason;
  }

  canMove(to: VmState): boolean {
    return ALLOWED[this.current].includes(to);
  }

  /** Moves to `to`, or throws if the lifecycle does not allow it. */
  move(to: VmState, reason?: string): void {
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
