// The event-stream reader: events cut anywhere, every line ending, and the bound.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSseEvent, SseError, SseParser } from './sse.ts';

test('events split across chunks at every byte come out whole', () => {
  const text = 'event: message\r\nid: 1\r\ndata: {"a":\r\ndata: 1}\r\n\r\n: ping\n\ndata: é\r\rdata: x\n\n';
  const bytes = Buffer.from(text);
  for (let cut = 1; cut < bytes.length; cut++) {
    const p = new SseParser();
    const events = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
    assert.deepEqual(
      events.map((e) => e.data ?? `:${e.comments.join()}`),
      ['{"a":\n1}', ': ping', 'é', 'x'],
      `cut at ${cut}`,
    );
    assert.equal(events[0]?.event, 'message');
    assert.equal(events[0]?.id, '1');
  }
});

test('an event that never ends is cut at the bound', () => {
  const p = new SseParser(1000);
  assert.throws(() => {
    for (let i = 0; i < 100; i++) p.push(Buffer.from('data: xxxxxxxxxxxxxxxxxxxxxxxx\n'));
  }, SseError);
  const q = new SseParser(1000);
  assert.throws(() => q.push(Buffer.from('data: '.padEnd(2000, 'y'))), SseError);
});

test('many small events stay under the bound', () => {
  const p = new SseParser(1000);
  let n = 0;
  for (let i = 0; i < 1000; i++) n += p.push(Buffer.from('data: {}\n\n')).length;
  assert.equal(n, 1000);
});

test('written back out, an event reads the same and cannot inject fields', () => {
  const out = formatSseEvent({ event: 'm\ndata: evil', id: '2', data: 'a\nb', comments: ['k'] });
  const events = new SseParser().push(Buffer.from(out));
  assert.equal(events.length, 1);
  assert.equal(events[0]?.data, 'a\nb');
  assert.equal(events[0]?.event, 'm data: evil');
});
