// The device's own OTLP export in the local API (`GET /v1/export/status`, `warden export
// status`): a daemon started with `--otlp-export URL` sends its audit records to an
// OpenTelemetry Collector without a hub, from a cursor kept in the audit database.

/**
 * - `off`: no endpoint configured;
 * - `ok`: the last exchange succeeded (or nothing was pending);
 * - `backing-off`: the last round failed; the next one is at `nextAttempt`.
 */
export const DEVICE_EXPORT_STATES = ['off', 'ok', 'backing-off'] as const;
export type DeviceExportState = (typeof DEVICE_EXPORT_STATES)[number];

export interface DeviceExportStatus {
  state: DeviceExportState;
  /** The OTLP/HTTP logs URL (`…/v1/logs`), or null while off. */
  endpoint: string | null;
  /** The last seq the Collector confirmed (0: none yet). */
  exportedSeq: number;
  /** The newest seq of the local chain (null: empty). */
  headSeq: number | null;
  /** Records above the exported seq. */
  backlog: number;
  /** Records confirmed to this endpoint so far. */
  exported: number;
  /** ISO times. */
  lastSuccess: string | null;
  lastError: string | null;
  nextAttempt: string | null;
}
