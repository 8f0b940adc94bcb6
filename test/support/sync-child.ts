// Run by path from test/sync/kill.test.ts: a real daemon on HOME in its own process, with
// fast sync timings, appending 20 records every 10 ms (unless `quiet`) until it is killed.
// Prints `ready` once its API answers.

import { Daemon } from '../../supervisor/daemon/index.ts';
import { createLogger } from '../../supervisor/daemon/logger.ts';
import { userActionEvent } from '../../supervisor/events/index.ts';

const [home, mode] = process.argv.slice(2);
if (!home) throw new Error('usage: sync-child.ts HOME [quiet]');
const daemon = await Daemon.start({
  home,
  log: createLogger(() => {}),
  user: 'tester',
  poolSize: 0,
  sync: { batchDelayMs: 20, pollMs: 50, timeoutMs: 3000, retry: { baseMs: 20, capMs: 200 } },
});
process.stdout.write('ready\n');
let n = 0;
if (mode !== 'quiet') {
  setInterval(() => {
    for (let i = 0; i < 20; i++) daemon.bus.emit(userActionEvent('tester', 'test.append', `r-${n++}`));
  }, 10);
}
process.on('SIGTERM', () => void daemon.stop().then(() => process.exit(0)));
