// One audit worker thread that posts one message, awaited without blocking: resolves with
// the message, rejects when the worker ends without one, and with `Cancelled` when the
// signal aborts (the worker is terminated at once). The worker is gone when it settles.

import { WardenError } from '../api/errors.ts';
import { type AuditWorkerName, startWorker } from './start-worker.ts';

export function cancelledError(what: string): WardenError {
  return new WardenError('Cancelled', `the ${what} was cancelled`, 'start it again when you want it');
}

export async function awaitWorker<T>(
  name: AuditWorkerName,
  workerData: unknown,
  o: { signal?: AbortSignal; what: string },
): Promise<T> {
  if (o.signal?.aborted) throw cancelledError(o.what);
  const worker = startWorker(name, { execArgv: [], workerData });
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<T>((resolve, reject) => {
      onAbort = () => reject(cancelledError(o.what));
      o.signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', (message: T) => resolve(message));
      worker.once('error', (error) => reject(error));
      worker.once('exit', (code) =>
        reject(new Error(`the ${o.what} worker ended (code ${code}) without a result`)),
      );
    });
  } finally {
    if (onAbort) o.signal?.removeEventListener('abort', onAbort);
    await worker.terminate().catch(() => 0);
  }
}
