// Test-only code lives beside the tests (test/support/), never in a production folder, and
// production code never imports it: so the bundles cannot pick a fake up. See CONTRIBUTING.md.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PRODUCTION = ['supervisor', 'main', 'renderer', 'extension', 'ui'];

/** Relative imports, dynamic imports, and files run by path (`new URL('./x.ts', import.meta.url)`). */
const REFERENCE =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|new URL\(\s*['"](\.{1,2}\/[^'"]+\.tsx?)['"]\s*,\s*import\.meta\.url\s*\)/g;

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
    else if (/\.tsx?$/.test(e.name)) out.push(full);
  }
  return out;
}

const rel = (f: string) => path.relative(root, f);
const isTest = (f: string) => /\.test\.tsx?$/.test(f);
const inProduction = (f: string) => PRODUCTION.includes(rel(f).split(path.sep)[0]!);

/** file → the files that import it or run it by path. */
function referrers(): { files: string[]; by: Map<string, string[]> } {
  const files = [...PRODUCTION, 'test', 'build'].flatMap((d) => sources(path.join(root, d)));
  const by = new Map<string, string[]>();
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(REFERENCE)) {
      const target = path.resolve(path.dirname(file), (m[1] ?? m[2] ?? m[3])!);
      by.set(target, [...(by.get(target) ?? []), file]);
    }
  }
  return { files, by };
}

const { files, by } = referrers();

test('production code imports nothing from test/', () => {
  const wrong: string[] = [];
  for (const file of files.filter((f) => inProduction(f) && !isTest(f))) {
    for (const m of readFileSync(file, 'utf8').matchAll(REFERENCE)) {
      const target = path.resolve(path.dirname(file), (m[1] ?? m[2] ?? m[3])!);
      if (rel(target).split(path.sep)[0] === 'test') wrong.push(`${rel(file)} -> ${rel(target)}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no module in a production folder is used only by tests (move it to test/support/)', () => {
  // Test-only: every referrer is a test, outside the production folders, or test-only itself.
  const testOnly = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const file of files) {
      if (isTest(file) || testOnly.has(file)) continue;
      const from = by.get(file) ?? [];
      if (from.length > 0 && from.every((f) => isTest(f) || !inProduction(f) || testOnly.has(f))) {
        testOnly.add(file);
        changed = true;
      }
    }
  }
  assert.deepEqual([...testOnly].filter(inProduction).map(rel).sort(), []);
});
