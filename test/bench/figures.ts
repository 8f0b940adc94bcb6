// A benchmark figure: what was measured, its goal, and the direct baseline from the same run.
// Shared by the proxy benchmarks (test/bench/proxy.ts and its siblings) and the table in
// test/bench/run.ts.

export interface Goal {
  op: '<=' | '>=';
  target: number;
  /** What the goal is checked on: the figure itself, or its ratio to the direct baseline. */
  on: 'value' | 'ratio';
}

export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  goal?: Goal;
  /** The same measurement without the proxy, in the same run (same unit as `direct`). */
  direct?: number;
  directUnit?: string;
  /** Proxied ÷ direct. */
  ratio?: number;
  /** What `direct` and the ratio compare with when it is not the direct path (e.g. a peer). */
  versus?: string;
  note?: string;
  /** A figure that is not a number (e.g. which accelerator a VM used); `value` is NaN. */
  text?: string;
}

export function goalMet(goal: Goal, value: number): boolean {
  return goal.op === '<=' ? value <= goal.target : value >= goal.target;
}

export function meetsGoal(f: Figure): boolean | undefined {
  if (!f.goal) return undefined;
  const v = f.goal.on === 'ratio' ? f.ratio : f.value;
  if (v === undefined || !Number.isFinite(v)) return false;
  return goalMet(f.goal, v);
}

export const round = (n: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};
