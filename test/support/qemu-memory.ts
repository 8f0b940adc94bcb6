// What a QEMU process holds in host memory, read from /proc/PID/smaps: for the VM bench's
// figures and the tests of free page reporting.

import { readFileSync } from 'node:fs';

/**
 * A process's RSS, the RSS of its largest mapping at least `ramKiB` long (the guest RAM), and
 * its clean pages of files (shared page cache, not owned by this process).
 */
export function qemuRssKiB(
  pid: number,
  ramKiB: number,
): { total: number; guestRam: number; fileClean: number } {
  let total = 0;
  let guestRam = 0;
  let fileClean = 0;
  let size = 0;
  let file = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      file = line.trim().split(/\s+/)[5]?.startsWith('/') ?? false; // the mapping's path, if a file
      continue;
    }
    const m = /^(Size|Rss|Shared_Clean|Private_Clean):\s+(\d+) kB$/.exec(line);
    if (!m) continue;
    const kib = Number(m[2]);
    if (m[1] === 'Size') size = kib;
    else if (m[1] === 'Rss') {
      total += kib;
      if (size >= ramKiB && kib > guestRam) guestRam = kib;
    } else if (file) fileClean += kib;
  }
  return { total, guestRam, fileClean };
}
