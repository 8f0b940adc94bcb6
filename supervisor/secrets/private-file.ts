// Owner-only files: atomic writes (temp file + fsync + rename) and a mode check that refuses
// a secret file other users can read. Used for the vault, its key file and the CA's key.

import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the result (default 0o600). */
  mode?: number;
  /**
   * Create only: fail with EEXIST instead of replacing an existing file. Implemented with
   * link(2), so two processes racing to create the same file cannot both win.
   */
  exclusive?: boolean;
}

/** Write `data` to `file` so a reader sees either the old or the new content, never a mix. */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o600;
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fsp.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  let moved = false;
  try {
    try {
      await handle.writeFile(data);
      // The umask may have narrowed the mode at creation; set it exactly.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive) {
      await fsp.link(temp, file);
    } else {
      await fsp.rename(temp, file);
      moved = true;
    }
    await syncDir(dir);
  } finally {
    if (!moved) await fsp.rm(temp, { force: true });
  }
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fsp.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}

/**
 * Refuse a private file that other users can read or write. `what` names the file for the
 * message (e.g. "CA private key"). No-op on Windows, where modes do not apply.
 */
export async function assertOwnerOnly(file: string, what: string): Promise<void> {
  if (process.platform === 'win32') return;
  const st = await fsp.stat(file);
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
    throw new PrivateFileModeError(
      `${what} ${file} can be read by other users (mode ${mode}); run: chmod 600 ${file}`,
      file,
    );
  }
}

export class PrivateFileModeError extends Error {
  override name = 'PrivateFileModeError';
  readonly hint: string;
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.hint = `chmod 600 ${file}`;
  }
}

/** Read a file, or undefined when it does not exist. Other errors propagate. */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
