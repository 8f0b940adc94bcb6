// Run by path from supervisor/audit/crash.test.ts: feeds the daemon's AuditWriter (encoder and
// writer threads) in durable mode forever, request records in batches with an acknowledged
// event after each batch, and prints `TAG LAST` once that event is committed (LAST: the index
// of the last request record taken before it), until it is killed.
import { AuditWriter } from '../../../supervisor/audit/audit-writer.ts';
import { requestEvent, TEST_DEVICE } from './samples.ts';

const [file, run] = process.argv.slice(2);
if (!file || !run) throw new Error('usage: crash-writer-child.ts DB RUN');
const writer = await AuditWriter.open(file, { device: TEST_DEVICE, durability: 'durable' });
let next = 0;
for (let round = 0; ; round++) {
  for (let k = 0; k < 40; k++) {
    writer.take(requestEvent(next, { id: `rq-${run}-${next}` }));
    next++;
  }
  const last = next - 1;
  writer.take({
    type: 'user.action',
    time: new Date().toISOString(),
    user: 'alice',
    action: 'secret.set',
    target: `ack-${run}-${round}`,
  });
  // Not awaited: later batches are on their way while this one commits.
  writer.committed().then(
    () => process.stdout.write(`ack-${run}-${round} ${last}\n`),
    () => {},
  );
  await new Promise((r) => setImmediate(r));
}
