// Names the calling thread as the kernel shows it (`top -H`, /proc/<pid>/task/<tid>/comm), so
// the audit store's threads can be told apart when measuring CPU per thread. Linux only;
// elsewhere, or when /proc is not there, nothing happens.

import { writeFileSync } from 'node:fs';

/** At most 15 characters are kept. */
export function nameThread(name: string): void {
  if (process.platform !== 'linux') return;
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // A name is a convenience for whoever measures; nothing depends on it.
  }
}
