// How the audit store starts its worker threads (the writer, verify's slices, the WAL
// checkpointer): each runs its own entry module, a real TypeScript file beside this one.
// The bundle runs dist/<name>.mjs (build/bundle.mjs lists every name as an entry). From
// sources, tsx (which registers itself on the main thread only) is registered inside the
// worker before the .ts entry is imported.

import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The worker entries: supervisor/audit/<name>.ts, bundled as dist/<name>.mjs. */
export const AUDIT_WORKERS = [
  'audit-writer-worker',
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
 * Start the worker entry `name` that sits beside the module at `base` (its import.meta.url):
 * `<name>.ts` from sources, `<name>.mjs` in the bundle (which puts every entry in dist/).
 * Other folders' workers (supervisor/replay/) start through this too.
 */
export function startModuleWorker(base: string, name: string, options: WorkerOptions): Worker {
  if (!FROM_SOURCES) return new Worker(new URL(`./${name}.mjs`, base), options);
  const api = import.meta.resolve('tsx/esm/api');
  const script = new URL(`./${name}.ts`, base).href;
  const source = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(source, { ...options, eval: true });
}
