// Verify's sequential walk (verify.ts) in a worker thread, for the asynchronous verify
// (verify-async.ts) once its parallel slices found something out of order: it names the
// first bad record, and how, exactly as `warden audit verify` does, while the daemon's
// event loop goes on. Posts one message, the chain's status, or why it could not walk.

import { parentPort, workerData } from 'node:worker_threads';
import type { AuditChainStatus } from '../api/audit-types.ts';
import type { AnchorRead } from './anchor.ts';
import { ContextTable } from './contexts.ts';
import { openDatabase } from './store-setup.ts';
import { verifyChain } from './verify.ts';

export interface WalkJob {
  file: string;
  /** The anchor as read when the verify started. */
  anchorRead: AnchorRead;
}

export type WalkMessage = { status: AuditChainStatus } | { error: string };

function main(): void {
  const job = workerData as WalkJob;
  let message: WalkMessage;
  try {
    const { db, layout } = openDatabase(job.file, { readOnly: true });
    try {
      message = {
        status: verifyChain(db, layout, new ContextTable(db, layout.contexts), job.anchorRead, {
          threads: 0,
        }),
      };
    } finally {
      db.close();
    }
  } catch (error) {
    message = { error: String((error as Error)?.message || error) };
  }
  parentPort?.postMessage(message);
}

main();
