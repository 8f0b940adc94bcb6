// Runs every *.test.ts under supervisor/, main/ and test/ with node's test runner (through tsx).
// `--unit` runs only the fast tests beside the code (supervisor/, main/, test/architecture/:
// no QEMU, no Chromium). `--coverage` runs them under c8 and fails when line coverage of the
// production code falls below the floor in test/coverage-floor.json. Extra arguments are
// passed to `node --test` (e.g. --test-name-pattern=proxy) or, when they name files, replace
// the default set.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
const coverage = args.includes('--coverage');
const named = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-') && a !== '--unit' && a !== '--coverage');
const folders = unit ? ['supervisor', 'main', 'test/architecture'] : ['supervisor', 'main', 'test'];
const files = named.length > 0 ? named : folders.flatMap((d) => find(path.join(root, d), []));
files.sort();

const testArgs = [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  '--test-concurrency=2',
  ...flags,
  ...files,
];

if (!coverage) {
  const child = spawn(process.execPath, testArgs, { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  // c8 (options in .c8rc.json) writes coverage-summary.json; the test output streams through,
  // and its last lines are kept to repeat the counts after the coverage line.
  const reports = path.join(root, 'test-artifacts', 'coverage');
  rmSync(reports, { recursive: true, force: true });
  const c8 = path.join(root, 'node_modules', 'c8', 'bin', 'c8.js');
  const child = spawn(process.execPath, [c8, '--reporter=json-summary', process.execPath, ...testArgs], {
    cwd: root,
    stdio: ['inherit', 'pipe', 'inherit'],
  });
  // The runner's summary lines (ℹ pass N …), wherever they come: a failure's details follow them.
  const summary = {};
  let partial = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^ℹ (\w+) (\d+)$/.exec(line);
      if (m) summary[m[1]] = Number(m[2]);
    }
  });
  child.on('exit', (code) => {
    const count = (name) => summary[name] ?? 0;
    const floor = JSON.parse(readFileSync(path.join(root, 'test', 'coverage-floor.json'), 'utf8')).lines;
    let lines = 0;
    try {
      lines = JSON.parse(readFileSync(path.join(reports, 'coverage-summary.json'), 'utf8')).total.lines.pct;
    } catch {
      process.stdout.write('coverage: no summary was written\n');
    }
    const below = lines < floor;
    process.stdout.write(
      `coverage: lines ${lines}% of supervisor/, main/ and renderer/ (floor ${floor}%)${below ? ': BELOW THE FLOOR' : ''}\n`,
    );
    process.stdout.write(`${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped\n`);
    process.exit(code === 0 && !below ? 0 : code || 1);
  });
}
