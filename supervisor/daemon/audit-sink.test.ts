import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { AuditStore } from '../audit/index.ts';
import { requestEvent, TEST_DEVICE, tempDir } from '../audit/testing.ts';
import { EventBus } from '../events/index.ts';
import { AuditSink } from './audit-sink.ts';

test('request records are committed together at the end of the turn; other events at once, in order', async (t) => {
  const tmp = tempDir();
  t.after(tmp.dispose);
  const store = AuditStore.open(path.join(tmp.dir, 'audit.db'), {
    device: TEST_DEVICE,
    durability: 'normal',
  });
  t.after(() => store.close());
  const bus = new EventBus();
  const errors: unknown[] = [];
  const dispose = new AuditSink(store, (e) => errors.push(e)).attach(bus);
  bus.emit(requestEvent(1));
  bus.emit(requestEvent(2));
  assert.equal(store.count(), 0, 'queued, not yet written');
  bus.emit({
    type: 'user.action',
    time: new Date().toISOString(),
    user: 'alice',
    action: 'secret.set',
    target: 'X',
  });
  assert.equal(store.count(), 3, 'a synchronous event flushes the queue first');
  assert.deepEqual(
    store.query({}, { order: 'asc', limit: 10 }).records.map((r) => r.kind),
    ['request.decided', 'request.decided', 'user.action'],
  );
  bus.emit(requestEvent(3));
  await new Promise((r) => setImmediate(r));
  assert.equal(store.count(), 4, 'flushed at the end of the turn');
  bus.emit(requestEvent(4));
  dispose();
  assert.equal(store.count(), 5, 'detaching flushes what is queued');
  assert.equal(store.verify().ok, true);
  assert.deepEqual(errors, []);
});
