// What of $WARDEN_HOME/vm-templates no restore will use again. A template holds a guest's RAM
// file and disk (a few hundred MiB on disk), so those of a removed image, of another QEMU or
// template format, and the least recently used beyond a few are removed, as are the build
// folders of a daemon killed mid-build.

import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** Templates kept at most: one per size of sandbox a user runs, newest use first. */
export const TEMPLATES_KEPT = 4;

export interface PruneOptions {
  /** Build folders a build under way owns. */
  building: ReadonlySet<string>;
  /** The template format and QEMU version of templates that can still be restored. */
  format: number;
  qemuVersion: string;
  kept?: number;
}

interface StoredMeta {
  key?: { format?: unknown; qemuVersion?: unknown };
  imageDir?: unknown;
}

/** Removes what no restore will use; returns the names removed. */
export function pruneTemplates(dir: string, opts: PruneOptions): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const remove = (name: string) => {
    rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  };
  const usable: Array<{ name: string; usedMs: number }> = [];
  for (const name of names) {
    const full = path.join(dir, name);
    if (name.startsWith('.build-')) {
      if (!opts.building.has(full)) remove(name);
      continue;
    }
    let meta: StoredMeta;
    let usedMs: number;
    try {
      meta = JSON.parse(readFileSync(path.join(full, 'meta.json'), 'utf8')) as StoredMeta;
      usedMs = statSync(path.join(full, 'meta.json')).mtimeMs;
    } catch {
      continue; // not a template of ours, or one being renamed into place: left alone
    }
    const imageGone = typeof meta.imageDir === 'string' && !existsDir(meta.imageDir);
    if (imageGone || meta.key?.format !== opts.format || meta.key?.qemuVersion !== opts.qemuVersion)
      remove(name);
    else usable.push({ name, usedMs });
  }
  usable.sort((a, b) => b.usedMs - a.usedMs);
  for (const { name } of usable.slice(opts.kept ?? TEMPLATES_KEPT)) remove(name);
  return removed;
}

function existsDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
