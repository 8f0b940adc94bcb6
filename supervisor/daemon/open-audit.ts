// The daemon's audit trail: the writer thread (every event goes through it), a read-only
// store for queries and verify, and the sync link's ledger, all on one database file. A file
// that cannot be opened stops the start with a message naming it and what to do.

import { VERSION } from '../api/version.ts';
import { AuditWriter } from '../audit/audit-writer.ts';
import { AuditStore, SyncLedger } from '../audit/index.ts';
import type { Logger } from '../proxy/index.ts';
import { DaemonStartError } from './daemon-options.ts';

export async function openAuditTrail(
  file: string,
  log: Logger,
): Promise<{ audit: AuditStore; writer: AuditWriter; ledger: SyncLedger }> {
  let audit: AuditStore;
  let writer: AuditWriter;
  let ledger: SyncLedger;
  try {
    writer = await AuditWriter.open(file, {
      // NORMAL survives a crash of the daemon (kill -9); WARDEN_AUDIT_DURABILITY=durable also
      // fsyncs every record against power loss, at a cost in throughput.
      durability: process.env.WARDEN_AUDIT_DURABILITY === 'durable' ? 'durable' : 'normal',
      version: VERSION,
      // A write waits at most this long for another writer (on the writer thread).
      busyTimeoutMs: 250,
      onFault: (fault) => {
        // The proxy's gate reads the writer's fault (Daemon.fault): here it is only logged.
        if (fault) log.error('audit trail fault: failing closed', { fault });
        else log.info('audit trail writable again');
      },
      onError: (error) => log.error('audit batch not recorded', { error: error.message }),
      onWarning: (message) => log.warn(message),
    });
    try {
      audit = AuditStore.open(file, { readOnly: true, version: VERSION });
      ledger = SyncLedger.open(file, 250);
    } catch (error) {
      writer.close();
      throw error;
    }
  } catch (error) {
    throw new DaemonStartError(
      `cannot open the audit trail ${file}: ${(error as Error).message}`,
      'check the disk and the file; move it away to start a new trail (the old one stays verifiable with: warden audit verify)',
    );
  }
  return { audit, writer, ledger };
}
