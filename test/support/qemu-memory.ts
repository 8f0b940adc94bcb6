// What a QEMU process holds in host memory, read from /proc/PID/smaps: for the VM bench's
// figures and the tests of free page reporting.

import { readFileSync } from 'node:fs';

interface Mapping {
  file: boolean;
  size: number;
  rss: number;
  anonymous: number;
}

/**
 * A process's RSS, the RSS of its largest mapping at least `ramKiB` long (the guest RAM), and
 * the page cache of the files it maps (the kernel image, its own binary and libraries): pages
 * the host shares between processes and can write back and drop, not this process's own. A
 * file's page is page cache whether clean or not yet written back (an image just built):
 * only a mapping's `Anonymous` pages (copies it wrote to) are the process's.
 */
export function qemuRssKiB(
  pid: number,
  ramKiB: number,
): { total: number; guestRam: number; guestRamWritten: number; fileCache: number } {
  const mappings: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      const where = line.trim().split(/\s+/)[5] ?? '';
      // A path on a filesystem (not /memfd:…, /dev/zero, /SYSV…): its pages are page cache.
      const file = where.startsWith('/') && !/^\/(memfd:|dev\/|SYSV)/.test(where);
      current = { file, size: 0, rss: 0, anonymous: 0 };
      mappings.push(current);
      continue;
    }
    const m = /^(Size|Rss|Anonymous):\s+(\d+) kB$/.exec(line);
    if (!m || !current) continue;
    const kib = Number(m[2]);
    if (m[1] === 'Size') current.size = kib;
    else if (m[1] === 'Rss') current.rss = kib;
    else current.anonymous = kib;
  }
  let total = 0;
  let guest: Mapping | undefined;
  for (const map of mappings) {
    total += map.rss;
    if (map.size >= ramKiB && map.rss > (guest?.rss ?? -1)) guest = map;
  }
  let fileCache = 0;
  for (const map of mappings) if (map.file && map !== guest) fileCache += map.rss - map.anonymous;
  // A restored guest's RAM is a private mapping of its template's RAM file: of its resident
  // pages, only those it wrote (anonymous copies) are its own; a booted guest's are all anonymous.
  return { total, guestRam: guest?.rss ?? 0, guestRamWritten: guest?.anonymous ?? 0, fileCache };
}
