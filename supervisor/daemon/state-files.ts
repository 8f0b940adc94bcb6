// Files the daemon keeps in $WARDEN_HOME: the API token, the pid file, the CA bundle
// handed to clients, and the single-instance check on the API socket.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, rename, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { SYSTEM_CA_BUNDLES } from '../proxy/index.ts';

export async function writePrivate(path: string, text: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/** A fresh bearer token for this daemon run (clients read it from the file each time). */
export async function writeToken(path: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await writePrivate(path, `${token}\n`);
  return token;
}

/** True when something answers on the socket: another daemon owns this home. */
export function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(socketPath)) return resolve(false);
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function removeStale(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}

/**
 * The CA bundle clients get in SSL_CERT_FILE and friends: the system roots plus Warden's
 * CA, so both intercepted and spliced HTTPS verify.
 */
export async function writeCaBundle(path: string, caPem: string): Promise<void> {
  const system = SYSTEM_CA_BUNDLES.find((p) => existsSync(p));
  const roots = system ? readFileSync(system, 'utf8') : tls.rootCertificates.join('\n');
  await writePrivate(path, `${roots.trimEnd()}\n# Warden local CA\n${caPem.trim()}\n`);
}
