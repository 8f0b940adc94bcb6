import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeControl, encodeData, encodeFrame, FrameDecoder, FrameType, MAX_FRAME } from '../api/frames.ts';

test('frames survive being split at every byte', () => {
  const frames = Buffer.concat([
    encodeControl(0, { op: 'hello', version: 1, agent: 'a', uptimeMs: 5, kernel: 'k' }),
    ...encodeData(FrameType.stdout, 7, Buffer.from('hello world')),
    encodeControl(7, { op: 'exit', code: 3, signal: null }),
  ]);
  const d = new FrameDecoder();
  const got = [];
  for (let i = 0; i < frames.length; i++) got.push(...d.push(frames.subarray(i, i + 1)));
  assert.equal(got.length, 3);
  assert.deepEqual(got[0], {
    type: FrameType.control,
    channel: 0,
    message: { op: 'hello', version: 1, agent: 'a', uptimeMs: 5, kernel: 'k' },
  });
  assert.equal(got[1]!.type, FrameType.stdout);
  assert.equal(got[1]!.channel, 7);
  assert.equal((got[1] as { data: Buffer }).data.toString(), 'hello world');
  assert.deepEqual((got[2] as { message: unknown }).message, { op: 'exit', code: 3, signal: null });
});

test('large data is split into chunks and reassembled', () => {
  const data = Buffer.alloc(300_000, 7);
  const frames = encodeData(FrameType.stdin, 2, data);
  assert.equal(frames.length, 5);
  const d = new FrameDecoder();
  const out = d.push(Buffer.concat(frames)).map((f) => (f as { data: Buffer }).data);
  assert.deepEqual(Buffer.concat(out), data);
});

test('bad frames are refused', () => {
  const bad = Buffer.alloc(9);
  bad.writeUInt32BE(MAX_FRAME + 1, 0);
  assert.throws(() => new FrameDecoder().push(bad), /bad frame length/);
  assert.throws(
    () => new FrameDecoder().push(encodeFrame(9 as FrameType, 1, Buffer.alloc(1))),
    /unknown frame type/,
  );
  assert.throws(
    () => new FrameDecoder().push(encodeFrame(FrameType.control, 1, Buffer.from('[]'))),
    /without an op/,
  );
  assert.throws(() => encodeFrame(FrameType.stdout, -1, Buffer.alloc(0)), /channel/);
});
