// Exports of the hub's records into the tools IT already runs (issue 16): OTLP/HTTP logs.

export { ExportLoop } from './loop.ts';
export { addExportTarget, type ExportStatus, exportStatuses, runnerFor } from './targets.ts';
