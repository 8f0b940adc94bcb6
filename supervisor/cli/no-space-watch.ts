// Notices "out of disk space" in a guest command's output (ENOSPC as Node, npm and libc
// print it), so `warden run` can name the flag that fixes it once the command has failed.
// Keeps only a short tail between chunks: bounded whatever the command prints.

const PATTERN = /ENOSPC|No space left on device/;
const KEEP = 40;

export class NoSpaceWatch {
  #tail = '';
  seen = false;

  feed = (chunk: Buffer | string): void => {
    if (this.seen) return;
    const text = this.#tail + chunk.toString('latin1');
    if (PATTERN.test(text)) this.seen = true;
    this.#tail = text.slice(-KEEP);
  };
}

/** The line `warden run` prints after a failed command that ran out of space. */
export function noSpaceHint(diskMiB: number | undefined): string {
  const now = diskMiB === undefined ? 'the default 8G' : diskMiB === 0 ? 'RAM (--disk 0)' : `${diskMiB}M`;
  const bigger = diskMiB ? `${Math.max(16, Math.ceil((diskMiB * 2) / 1024))}G` : '16G';
  return (
    `warden: the command ran out of disk space in the sandbox (ENOSPC; its writable layer is ${now}): ` +
    `run it again with a larger --disk, e.g. --disk ${bigger}`
  );
}
