// The OS keyring behind a small interface, so the vault can be tested with a fake and run
// where no keyring exists. `@napi-rs/keyring` is loaded lazily: it is optional.

import { randomBytes } from 'node:crypto';

export const KEYRING_SERVICE = 'warden';

/** A credential store holding one string per account (of the `warden` service). */
export interface KeyringStore {
  readonly label: string;
  get(account: string, signal: AbortSignal): Promise<string | null>;
  set(account: string, value: string, signal: AbortSignal): Promise<void>;
  delete(account: string, signal: AbortSignal): Promise<boolean>;
}

/**
 * The operating system's keyring. On Linux it is pinned to the Secret Service: the kernel
 * keyring (keyutils) the library would otherwise fall back to is emptied at logout/reboot,
 * which would lose the vault's key.
 */
export function systemKeyring(): KeyringStore {
  const entry = async (account: string) => {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    return new AsyncEntry(KEYRING_SERVICE, account, { linux: { store: 'secret-service' } });
  };
  return {
    label: 'the OS keyring',
    get: async (account, signal) => (await entry(account)).getPassword(signal),
    set: async (account, value, signal) => (await entry(account)).setPassword(value, signal),
    delete: async (account, signal) => (await entry(account)).deleteCredential(signal),
  };
}

/** Run a keyring operation with a deadline; a native call stuck on D-Bus must not hang startup. */
export async function withDeadline<T>(
  timeoutMs: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`the keyring did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([fn(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Does the keyring really work here? A set/get/delete round-trip on a throwaway account,
 * within `timeoutMs`. Headless Linux usually has no Secret Service: that is `false`, not an error.
 */
export async function probeKeyring(store: KeyringStore, timeoutMs: number): Promise<boolean> {
  const account = `probe-${randomBytes(8).toString('hex')}`;
  const value = randomBytes(16).toString('hex');
  try {
    return await withDeadline(timeoutMs, async (signal) => {
      await store.set(account, value, signal);
      const back = await store.get(account, signal);
      await store.delete(account, signal).catch(() => false);
      return back === value;
    });
  } catch {
    return false;
  }
}
