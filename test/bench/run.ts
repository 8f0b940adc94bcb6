// `npm run bench`: the proxy benchmarks (test/bench/proxy.ts), then the audit store and VM
// benchmarks when their files exist, printed as one table: each figure, its goal, the
// direct baseline measured in the same run, the ratio, and PASS/MISS.
// Flags: --only=proxy,post-intercept,peers,curves,audit,whatif,vm,vm-agent,hub,hub-export,hub-paging,it-approvals,packages,ui,redact   --strict (exit 1 when a goal is missed)   --no-peers   --full-audit
//   --rss-requests=N (curves: run the RSS curve until N requests, e.g. 1000000; several minutes)
// (`peers`: Warden beside squid and mitmproxy in one run, graded, test/bench/peers-graded.ts.)
// Figures are also written to test-artifacts/bench.json.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchCurves } from './curves.ts';
import { type Figure, meetsGoal } from './figures.ts';
import { withGoals } from './goals.ts';
import { benchPeersGraded } from './peers-graded.ts';
import { benchProxy } from './proxy.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

const args = process.argv.slice(2);
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',')
  .map((s) => s.trim());
const wants = (name: string) => !only || only.includes(name);
const strict = args.includes('--strict');
const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------
// Other engineers' benches: loaded when present, any failure becomes a note.

type Loose = Record<string, unknown>;

/** A unit from a camelCase key (`coldBootMs`, `imageMiB`); names with `(unit)` keep it in the name. */
function unitOf(key: string): string {
  if (/\)$/.test(key)) return '';
  const m = /(?<=[a-z])(Ms|MiB|GiB|KiB|MB|KB|Bytes|PerSecond)$/.exec(key);
  if (!m) return '';
  return { Ms: 'ms', PerSecond: '/s', Bytes: 'B' }[m[1]!] ?? m[1]!;
}

/** Turn what a bench function returned into figures: Figure-like objects, or name → value. */
function toFigures(section: string, result: unknown): Figure[] {
  if (Array.isArray(result)) {
    return result
      .filter((x): x is Loose => typeof x === 'object' && x !== null && 'name' in x && 'value' in x)
      .map((x) => ({ section, unit: '', ...(x as object) }) as Figure);
  }
  if (result && typeof result === 'object') {
    const o = result as Loose;
    if (Array.isArray(o.figures)) return toFigures(section, o.figures);
    return Object.entries(o).map(([name, value]): Figure => {
      const unit = unitOf(name);
      if (typeof value === 'number') return { section, name, value, unit };
      if (value && typeof value === 'object') {
        const v = value as Loose;
        if (typeof v.value === 'number') return { section, name, unit, ...(v as object) } as Figure;
        // { median, runs } and the like: the median is the figure, the rest a note.
        const figure =
          typeof v.median === 'number' ? v.median : typeof v.p50 === 'number' ? v.p50 : undefined;
        if (figure !== undefined) {
          const { median: _m, p50: _p, ...rest } = v;
          return { section, name: `${name} (median)`, value: figure, unit, note: JSON.stringify(rest) };
        }
        return { section, name, value: Number.NaN, unit, text: JSON.stringify(value) };
      }
      return { section, name, value: Number.NaN, unit, text: String(value) };
    });
  }
  return [];
}

async function optionalBench(
  section: string,
  file: string,
  pick: (mod: Loose) => ((...a: unknown[]) => unknown) | undefined,
  notes: string[],
): Promise<Figure[]> {
  const full = path.join(here, file);
  if (!existsSync(full)) {
    notes.push(`${section}: test/bench/${file} not found, skipped`);
    return [];
  }
  try {
    const mod = (await import(pathToFileURL(full).href)) as Loose;
    const fn = pick(mod);
    if (!fn) {
      notes.push(`${section}: test/bench/${file} exports no bench function, skipped`);
      return [];
    }
    log(`${section}: running ${fn.name || 'default export'}()`);
    const t = performance.now();
    const figures = withGoals(toFigures(section, await fn()));
    log(`${section}: done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    return figures;
  } catch (error) {
    notes.push(`${section}: skipped, it threw: ${(error as Error).message?.split('\n')[0] ?? String(error)}`);
    return [];
  }
}

const benchFunction =
  (...names: string[]) =>
  (mod: Loose): ((...a: unknown[]) => unknown) | undefined => {
    for (const n of names) if (typeof mod[n] === 'function') return mod[n] as (...a: unknown[]) => unknown;
    const any = Object.entries(mod).find(([k, v]) => /^bench/i.test(k) && typeof v === 'function');
    if (any) return any[1] as (...a: unknown[]) => unknown;
    return typeof mod.default === 'function' ? (mod.default as (...a: unknown[]) => unknown) : undefined;
  };

// ---------------------------------------------------------------------------------------
// The table

function fmt(n: number | undefined, unit = ''): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  const abs = Math.abs(n);
  const s =
    abs >= 100 || Number.isInteger(n)
      ? Math.round(n).toLocaleString('en-US')
      : abs >= 10
        ? n.toFixed(1)
        : abs >= 1
          ? n.toFixed(2)
          : n.toFixed(3);
  return unit ? `${s} ${unit}` : s;
}

/** Non-numeric figures (a mode, a reason) print in the table when short, below it when long. */
const TEXT_INLINE = 32;

function measuredText(f: Figure): string {
  if (f.text !== undefined) return f.text.length <= TEXT_INLINE ? f.text : '(below)';
  return fmt(f.value, f.unit);
}

function goalText(f: Figure): string {
  if (!f.goal) return '';
  if (f.goal.op === '<=' && f.goal.target === 0) return `0 ${f.unit}`.trim();
  const op = f.goal.op === '<=' ? '≤' : '≥';
  return f.goal.on === 'ratio'
    ? `${op} ${f.goal.target}× ${f.versus ?? 'direct'}`
    : `${op} ${fmt(f.goal.target, f.unit)}`;
}

function resultText(f: Figure): string {
  const ok = meetsGoal(f);
  return ok === undefined ? '' : ok ? 'PASS' : 'MISS';
}

function table(figures: Figure[]): string {
  const header = ['figure', 'measured', 'goal', 'direct', 'ratio', 'result'];
  const rows = figures.map((f) => [
    f.name,
    measuredText(f),
    goalText(f),
    f.direct === undefined ? '' : fmt(f.direct, f.directUnit ?? f.unit),
    f.ratio === undefined ? '' : `${f.ratio.toFixed(2)}×`,
    resultText(f),
  ]);
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join(' | ')} |`;
  const out = [
    line(header),
    `|${width.map((w, i) => (i === 0 ? '-' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`,
  ];
  let section = '';
  for (const [i, r] of rows.entries()) {
    const s = figures[i]!.section;
    if (s !== section) {
      section = s;
      out.push(line([`**${s}**`, '', '', '', '', '']));
    }
    out.push(line(r));
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------

const started = performance.now();
const figures: Figure[] = [];
const notes: string[] = [];
const cpus = os.cpus();
const machine = `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, load average ${os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' ')}`;
log(`bench on ${machine}`);

if (wants('proxy')) {
  const t = performance.now();
  try {
    // The peers are measured, and graded, by their own part (below).
    const proxy = await benchProxy({ log, peers: false });
    figures.push(...proxy.figures);
    notes.push(...proxy.notes);
  } catch (error) {
    notes.push(`proxy: failed: ${(error as Error).stack ?? String(error)}`);
  }
  log(`proxy: done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
if (wants('peers') && !args.includes('--no-peers')) {
  const t = performance.now();
  try {
    const peers = await benchPeersGraded({ log });
    figures.push(...peers.figures);
    notes.push(...peers.notes);
  } catch (error) {
    notes.push(`peers: failed: ${(error as Error).stack ?? String(error)}`);
  }
  log(`peers: done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
if (wants('curves')) {
  const t = performance.now();
  try {
    const rss = args.find((a) => a.startsWith('--rss-requests='));
    figures.push(...(await benchCurves({ log, rssRequests: rss ? Number(rss.split('=')[1]) : undefined })));
  } catch (error) {
    notes.push(`curves: failed: ${(error as Error).stack ?? String(error)}`);
  }
  log(`curves: done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
if (wants('audit')) {
  // The audit bench fills 1,000,000 records by default, which alone takes minutes on this
  // 2-core machine; `npm run bench` runs it at a quarter of that unless told otherwise.
  if (!process.env.AUDIT_BENCH_RECORDS && !args.includes('--full-audit')) {
    process.env.AUDIT_BENCH_RECORDS = '250000';
    notes.push(
      'audit: run with AUDIT_BENCH_RECORDS=250000 to keep the run short (--full-audit for its default)',
    );
  }
  figures.push(...(await optionalBench('audit', 'audit.ts', benchFunction('benchAudit'), notes)));
}
if (wants('whatif')) {
  figures.push(...(await optionalBench('whatif', 'whatif.ts', benchFunction('benchWhatif'), notes)));
}
if (wants('vm')) {
  figures.push(
    ...(await optionalBench('vm', 'vm.ts', benchFunction('benchVm', 'benchVM', 'benchVmBoot'), notes)),
  );
}
if (wants('vm') || wants('vm-agent')) {
  figures.push(...(await optionalBench('vm-agent', 'vm-agent.ts', benchFunction('benchAgentRun'), notes)));
}
if (wants('hub')) {
  figures.push(...(await optionalBench('hub', 'hub.ts', benchFunction('benchHub'), notes)));
  figures.push(...(await optionalBench('hub-link', 'hub-link.ts', benchFunction('benchHubLink'), notes)));
}
if (wants('hub') || wants('hub-export')) {
  figures.push(
    ...(await optionalBench('hub-export', 'hub-export.ts', benchFunction('benchHubExport'), notes)),
  );
}
if (wants('hub-paging')) {
  figures.push(
    ...(await optionalBench('hub-paging', 'hub-paging.ts', benchFunction('benchHubPaging'), notes)),
  );
}
if (wants('it-approvals')) {
  figures.push(
    ...(await optionalBench('it-approvals', 'it-approvals.ts', benchFunction('benchItApprovals'), notes)),
  );
}
if (only?.includes('post-intercept')) {
  // Part of `proxy` (1 KB and 100 KB); asked for by name it runs its own daemon and five sizes.
  figures.push(
    ...(await optionalBench(
      'post-intercept',
      'post-intercept.ts',
      benchFunction('benchPostInterceptAlone'),
      notes,
    )),
  );
}
if (wants('packages')) {
  figures.push(...(await optionalBench('packages', 'packages.ts', benchFunction('benchPackages'), notes)));
}
if (wants('ui')) {
  figures.push(...(await optionalBench('ui', 'ui.ts', benchFunction('benchUi'), notes)));
}
if (wants('redact')) {
  figures.push(...(await optionalBench('redact', 'redact.ts', benchFunction('benchRedact'), notes)));
}

const elapsed = (performance.now() - started) / 1000;
console.log(`\nWarden benchmarks — ${machine}\n`);
console.log(table(figures));
const graded = figures.filter((f) => f.goal);
const missed = graded.filter((f) => !meetsGoal(f));
console.log(
  `\n${graded.length - missed.length} of ${graded.length} goals met; ran in ${elapsed.toFixed(0)} s.`,
);
for (const f of figures.filter((x) => x.note && !Number.isNaN(x.value)))
  console.log(`  · ${f.name}: ${f.note}`);
for (const n of notes) console.log(`  · ${n}`);

try {
  const dir = path.join(root, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
  writeFileSync(
    path.join(dir, 'bench.json'),
    `${JSON.stringify({ version, machine, time: new Date().toISOString(), figures, notes }, null, 2)}\n`,
  );
} catch {}

if (notes.some((n) => n.startsWith('proxy: failed'))) process.exitCode = 1;
if (strict && missed.length > 0) process.exitCode = 1;
