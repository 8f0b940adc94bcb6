// Runs every *.test.ts under supervisor/, main/ and test/ with node's test runner (through tsx).
// `--unit` runs only the fast tests beside the code (supervisor/, main/, test/architecture/:
// no QEMU, no Chromium). Extra arguments are passed to `node --test` (e.g.
// --test-name-pattern=proxy) or, when they name files, replace the default set.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const skip = new Set(['node_modules', 'dist', 'test-artifacts', '.git', 'scratch-tmp']);

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) find(full, out);
    else if (name.endsWith('.test.ts')) out.push(path.relative(root, full));
  }
  return out;
}

const args = process.argv.slice(2);
const unit = args.includes('--unit');
const named = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-') && a !== '--unit');
const folders = unit ? ['supervisor', 'main', 'test/architecture'] : ['supervisor', 'main', 'test'];
const files = named.length > 0 ? named : folders.flatMap((d) => find(path.join(root, d), []));
files.sort();

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...flags, ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
