// How the audit store starts its worker threads (the writer, verify's slices, the WAL
// checkpointer): each runs its own entry module, a real TypeScript file beside this one.
// The bundle runs dist/<name>.mjs (build/bundle.mjs lists every name as an entry). From
// sources, a self-contained entry (verify's slices, the checkpointer) is bundled in memory
// and started from a data: URL (worker-from-sources.ts: about 0.1 s instead of 0.5–0.9 s);
// for the others tsx (which registers itself on the main thread only) is registered inside
// the worker before the .ts entry is imported.

import { Worker, type WorkerOptions } from 'node:worker_threads';
import { adoptBundles, bundledWorkerUrl, madeBundleUrl } from './worker-from-sources.ts';

/** The worker entries: supervisor/audit/<name>.ts, bundled as dist/<name>.mjs. */
export const AUDIT_WORKERS = [
  'audit-writer-worker',
  'audit-encoder-worker',
  'verify-worker',
  'checkpoint-worker',
  'verify-walk-worker',
  'export-worker',
] as const;
export type AuditWorkerName = (typeof AUDIT_WORKERS)[number];

const FROM_SOURCES = import.meta.url.endsWith('.ts');

export function startWorker(name: AuditWorkerName, options: WorkerOptions): Worker {
  return startModuleWorker(import.meta.url, name, options);
}

/**
 * Do now what starting `name` the first time would (from sources: bundle it, 0.1–0.3 s; in
 * the bundle: nothing), so a measurement or a latency-bound caller does not pay it later.
 */
export function prepareWorker(name: AuditWorkerName): void {
  if (FROM_SOURCES) bundledWorkerUrl(new URL(`./${name}.ts`, import.meta.url).href);
}

/**
 * Those of `names` this thread has made ready already (prepareWorker; nothing is built here),
 * for another thread that will start them: pass the result to that thread's adoptWorkers.
 * Empty in the bundle. From sources, the thread that starts a worker the first time bundles
 * its entry (0.1–0.3 s): the audit writer's thread did so in the middle of a stream of
 * commits, which a bench that prepared the entry beforehand no longer measures.
 */
export function preparedWorkers(names: readonly AuditWorkerName[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!FROM_SOURCES) return out;
  for (const name of names) {
    const entry = new URL(`./${name}.ts`, import.meta.url).href;
    const url = madeBundleUrl(entry);
    if (url) out[entry] = url.href;
  }
  return out;
}

/** Use the entries another thread prepared (preparedWorkers). */
export function adoptWorkers(prepared: Readonly<Record<string, string>>): void {
  adoptBundles(prepared);
}

/**
 * Start the worker entry `name` that sits beside the module at `base` (its import.meta.url):
 * `<name>.ts` from sources, `<name>.mjs` in the bundle (which puts every entry in dist/).
 * Other folders' workers (supervisor/replay/) start through this too.
 */
export function startModuleWorker(base: string, name: string, options: WorkerOptions): Worker {
  if (!FROM_SOURCES) return new Worker(new URL(`./${name}.mjs`, base), options);
  const script = new URL(`./${name}.ts`, base).href;
  const bundled = bundledWorkerUrl(script);
  if (bundled) return new Worker(bundled, options);
  const api = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(source, { ...options, eval: true });
}
