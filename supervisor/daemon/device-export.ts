// The device's own OTLP export (`--otlp-export URL`), built by the daemon: the exporter over
// the audit database, the device's OTLP resource, and its `GET /v1/export/status` handler.

import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { DeviceExportStatus } from '../api/export-types.ts';
import { VERSION } from '../api/version.ts';
import { DEVICE_EXPORT_OFF, DeviceOtlpExporter } from '../audit/otlp/device-exporter.ts';
import type { Handlers } from '../server/server.ts';
import { DaemonStartError, type DeviceExportOptions } from './daemon-options.ts';

/** A stable id for this machine that does not reveal its machine-id (keyed hash, as systemd advises). */
export function deviceHostId(): string {
  let id: string;
  try {
    id = readFileSync('/etc/machine-id', 'utf8').trim();
  } catch {
    id = os.hostname();
  }
  return createHmac('sha256', 'warden-otlp-export').update(id).digest('hex').slice(0, 32);
}

/** Refuse an endpoint that is not http(s) or carries credentials (before anything is opened). */
export function checkDeviceExport(o: DeviceExportOptions | undefined): void {
  if (!o) return;
  let ok = false;
  try {
    const u = new URL(o.endpoint);
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
  } catch {}
  if (!ok)
    throw new DaemonStartError(
      `--otlp-export must be an http(s) URL without credentials, not ${JSON.stringify(withoutCredentials(o.endpoint))}`,
      'e.g. http://127.0.0.1:4318 (a Collector’s OTLP/HTTP port; /v1/logs is added).',
    );
}

export function openDeviceExport(
  file: string,
  o: DeviceExportOptions,
  log: (message: string) => void,
): DeviceOtlpExporter {
  checkDeviceExport(o);
  return new DeviceOtlpExporter({
    file,
    endpoint: o.endpoint,
    device: { id: deviceHostId(), machine: os.hostname(), version: VERSION },
    version: VERSION,
    intervalMs: o.intervalMs,
    sink: o.sink,
    log,
  });
}

export function exportHandlers(exporter: DeviceOtlpExporter | null): Pick<Handlers, 'GET /v1/export/status'> {
  return {
    'GET /v1/export/status': (): DeviceExportStatus => (exporter ? exporter.status() : DEVICE_EXPORT_OFF),
  };
}

/** A URL for a message: any user:password removed. */
export function withoutCredentials(text: string): string {
  try {
    const u = new URL(text);
    u.username = '';
    u.password = '';
    return u.toString().slice(0, 120);
  } catch {
    return text.replace(/\/\/[^/@]*@/, '//').slice(0, 80);
  }
}
