// The colours of the charts' series, the same as the outcome badges in styles.css.

import type { RateKind } from '../../stores/activity-stats.ts';

export const KIND_COLOR: Record<RateKind, string> = {
  allowed: '#1f7a3f',
  denied: '#b42318',
  waiting: '#9a5b00',
  error: '#6b3fb4',
};

export const ACCENT = '#2456c9';
export const AXIS = '#5c6878';
export const GRID = '#dde2e8';

/** One colour per model on a spend chart, in order. */
export const MODEL_COLORS = ['#2456c9', '#1f7a3f', '#9a5b00', '#6b3fb4', '#0f766e', '#a21caf'];
