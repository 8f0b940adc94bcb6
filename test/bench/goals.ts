// The goals the issues set for the audit store and the VM sandboxes, matched to the figures
// those benches report by name (the proxy and UI benches attach their own goals).

import type { Figure, Goal } from './figures.ts';

const at = (op: Goal['op'], target: number): Goal => ({ op, target, on: 'value' });

const GOALS: [RegExp, Goal][] = [
  // Issue 4: the audit trail.
  [/^batched append, /, at('>=', 50_000)],
  [/^durable append, one at a time, group commit/, at('>=', 5_000)],
  [/^verify 1000000 records \(ms\)$/, at('<=', 5_000)],
  [/^page of 100, worst filter \(ms\)$/, at('<=', 50)],
  // Issue 3: microVM sandboxes (TCG here; ≤ 250 ms where KVM works cannot be measured here).
  [/^wardenRunTrueWarmMs/, at('<=', 300)],
  [/^coldBootToInitMs/, at('<=', 3_000)],
];

/** The goal of the figure named `name`, if it has one. */
export function goalFor(name: string): Goal | undefined {
  return GOALS.find(([pattern]) => pattern.test(name))?.[1];
}

/** `figures` with the goal of each one that has one. */
export function withGoals(figures: Figure[]): Figure[] {
  return figures.map((f) => {
    if (f.goal) return f;
    const goal = goalFor(f.name);
    return goal ? { ...f, goal } : f;
  });
}
