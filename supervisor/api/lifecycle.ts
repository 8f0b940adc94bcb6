// The lifecycle states of a thing that starts and stops: a sandbox's VM (SandboxView.state,
// the `sandbox.state` event) and the daemon as the desktop app supervises it.
//
//   STOPPED ──▶ STARTING ──▶ RUNNING ──▶ STOPPING ──▶ STOPPED;  a failure ──▶ ERROR(reason)
//
// Which moves a VM may make is its transition table, in supervisor/vm/state.ts.

export const LifecycleState = {
  /** Not running: never started, or stopped. */
  STOPPED: 'STOPPED',
  /** Starting (a VM: QEMU runs, its guest agent has not said hello yet). */
  STARTING: 'STARTING',
  /** Up and answering (a VM: commands can run). */
  RUNNING: 'RUNNING',
  /** A stop was asked; waiting for it to end. */
  STOPPING: 'STOPPING',
  /** Something failed; the reason given with the change says what. */
  ERROR: 'ERROR',
} as const;
export type LifecycleState = (typeof LifecycleState)[keyof typeof LifecycleState];
