// Run by path from supervisor/audit/crash.test.ts: appends events in durable mode forever and prints the seq
// of each acknowledged (committed) record on its own line, until it is killed.
import { AuditStore } from '../../../supervisor/audit/store.ts';
import { requestEvent, TEST_DEVICE } from './samples.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: crash-child.ts DB');
const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'durable' });
for (let i = 0; ; i++) {
  const record = store.append(requestEvent(i));
  // Pipes are synchronous on Linux: when write returns, the parent can read the line.
  process.stdout.write(`${record.seq}\n`);
}
