// The main window's bounds and maximized flag, remembered in $WARDEN_HOME/window-state.json.
// Writes are debounced; a file that is corrupt, the wrong shape, or places the window off
// every connected display is ignored (defaults are used).

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Clock, realClock } from './daemon-supervisor.ts';
import type { Rectangle, WindowSurface } from './electron-surface.ts';

export interface WindowState {
  bounds: Rectangle;
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1200, height: 800 } as const;
export const MIN_SIZE = { width: 640, height: 420 } as const;
const MAX_DIMENSION = 20_000;
/** How much of the title bar must be on a display for the position to be kept. */
const VISIBLE = 64;

function isRect(v: unknown): v is Rectangle {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return ['x', 'y', 'width', 'height'].every((k) => Number.isFinite(r[k]) && Number.isInteger(r[k]));
}

function overlap(a: Rectangle, b: Rectangle): { w: number; h: number } {
  return {
    w: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    h: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  };
}

/** A remembered state if it is well formed and visible on one of `displays`, else undefined. */
export function validateWindowState(value: unknown, displays: Rectangle[]): WindowState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { bounds, maximized } = value as Record<string, unknown>;
  if (!isRect(bounds) || typeof maximized !== 'boolean') return undefined;
  if (bounds.width < MIN_SIZE.width || bounds.height < MIN_SIZE.height) return undefined;
  if (bounds.width > MAX_DIMENSION || bounds.height > MAX_DIMENSION) return undefined;
  const titleBar = { x: bounds.x, y: bounds.y, width: bounds.width, height: 32 };
  const onScreen = displays.some((d) => {
    const o = overlap(titleBar, d);
    return o.w >= VISIBLE && o.h > 0;
  });
  if (!onScreen) return undefined;
  return { bounds: { x: bounds.x, y: bounds.y, width: bounds.width, height: bounds.height }, maximized };
}

export class WindowStateStore {
  readonly #file: string;
  readonly #clock: Clock;
  readonly #delayMs: number;
  #timer: unknown;
  #pending: WindowState | undefined;

  constructor(home: string, opts: { clock?: Clock; delayMs?: number } = {}) {
    this.#file = path.join(home, 'window-state.json');
    this.#clock = opts.clock ?? realClock;
    this.#delayMs = opts.delayMs ?? 500;
  }

  get file(): string {
    return this.#file;
  }

  /** The remembered state, or undefined (first run, corrupt file, off-screen). */
  load(displays: Rectangle[]): WindowState | undefined {
    try {
      return validateWindowState(JSON.parse(readFileSync(this.#file, 'utf8')), displays);
    } catch {
      return undefined;
    }
  }

  /** Remember `state` after the debounce delay (later calls replace earlier ones). */
  save(state: WindowState): void {
    this.#pending = state;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => this.flush(), this.#delayMs);
  }

  flush(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const state = this.#pending;
    this.#pending = undefined;
    if (!state) return;
    try {
      mkdirSync(path.dirname(this.#file), { recursive: true, mode: 0o700 });
      const tmp = `${this.#file}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
      renameSync(tmp, this.#file);
    } catch {
      // Remembering the window is a convenience; never fail the app for it.
    }
  }

  /** Follow a window's moves and resizes; flush when it closes. */
  track(win: WindowSurface): void {
    const capture = () => {
      if (win.isDestroyed()) return;
      this.save({ bounds: win.getNormalBounds(), maximized: win.isMaximized() });
    };
    for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(event, capture);
    win.on('closed', () => this.flush());
  }
}
