// The layering rule, read off the import lines: the contract (supervisor/api) at the
// bottom, every arrow pointing down, no cycles between files. See CONTRIBUTING.md.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Each area's layer: an area may import only areas of a lower layer. The contract imports
 * nothing; the composition root (daemon) and the CLI sit on top.
 */
const LAYER: Record<string, number> = {
  'supervisor/api': 0,
  'supervisor/home': 1,
  'supervisor/events': 1,
  'supervisor/policy': 1,
  'supervisor/client': 1,
  'supervisor/server': 1,
  'supervisor/tlog': 1,
  'supervisor/approvals': 2,
  'supervisor/tasks': 2,
  'supervisor/spend': 2,
  'supervisor/secrets': 2,
  'supervisor/audit': 2,
  'supervisor/vm': 2,
  'supervisor/hub-protocol': 2,
  'supervisor/ca': 3,
  'supervisor/hub': 3,
  'supervisor/sync': 3,
  'supervisor/mcp': 3,
  'supervisor/replay': 3,
  'supervisor/redact': 3,
  'supervisor/packages': 3,
  'supervisor/proxy': 4,
  'supervisor/sandboxes': 5,
  'supervisor/agents': 6,
  'supervisor/daemon': 7,
  'supervisor/cli': 8,
  // The other processes: clients of the contract, never of the daemon's insides.
  ui: 1,
  renderer: 1,
  'hub-web': 1,
  main: 2,
  extension: 2,
};

/** What a client process may import from the supervisor. */
const CLIENT_MAY_IMPORT: Record<string, string[]> = {
  ui: ['supervisor/api'],
  renderer: ['supervisor/api'],
  'hub-web': ['supervisor/api'],
  main: ['supervisor/api', 'supervisor/client', 'supervisor/home'],
  extension: ['supervisor/api', 'supervisor/client'],
};

const SPEC =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sources(dir: string, out: string[] = []): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) sources(full, out);
    else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) out.push(full);
  }
  return out;
}

function areaOf(file: string): string {
  const parts = path.relative(root, file).split(path.sep);
  return parts[0] === 'supervisor' ? `supervisor/${parts[1]}` : parts[0]!;
}

/** Every production file's relative imports, resolved to files. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const top of ['supervisor', 'main', 'renderer', 'hub-web', 'ui', 'extension']) {
    for (const file of sources(path.join(root, top))) {
      const text = readFileSync(file, 'utf8');
      const targets: string[] = [];
      for (const m of text.matchAll(SPEC)) targets.push(path.resolve(path.dirname(file), (m[1] ?? m[2])!));
      graph.set(file, targets);
    }
  }
  return graph;
}

const graph = importGraph();
const rel = (f: string) => path.relative(root, f);

test('every import points down toward the contract', () => {
  const wrong: string[] = [];
  for (const [file, targets] of graph) {
    const from = areaOf(file);
    for (const target of targets) {
      const to = areaOf(target);
      if (from === to || !to.startsWith('supervisor') || to === 'supervisor') continue;
      const allowed = CLIENT_MAY_IMPORT[from]
        ? CLIENT_MAY_IMPORT[from]!.includes(to)
        : LAYER[from] !== undefined && LAYER[to] !== undefined && LAYER[to]! < LAYER[from]!;
      if (!allowed) wrong.push(`${rel(file)} -> ${rel(target)} (${from} may not import ${to})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('every supervisor folder has a layer', () => {
  const areas = new Set([...graph.keys()].map(areaOf).filter((a) => a.startsWith('supervisor/')));
  assert.deepEqual(
    [...areas].filter((a) => LAYER[a] === undefined),
    [],
  );
});

test('the contract imports nothing from outside itself, not even Node', () => {
  const wrong: string[] = [];
  for (const [file] of graph) {
    if (areaOf(file) !== 'supervisor/api') continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('node:') || (spec.startsWith('.') && !spec.startsWith('./')))
        wrong.push(`${rel(file)} imports ${spec}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no cycles between files', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      const s = state.get(target);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(target)), target].map(rel).join(' -> '));
      else if (s === undefined) visit(target);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  assert.deepEqual(cycles, []);
});
