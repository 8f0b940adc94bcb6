import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkedDecoder } from './chunked-decoder.ts';
import { MalformedAnswer } from './response-head.ts';

/** Decode `wire` cut into pieces at `cuts`: the data, and where in the last piece the body ended. */
function decode(wire: string, cuts: number[] = []): { data: string; rest: string; done: boolean } {
  const decoder = new ChunkedDecoder();
  const bytes = Buffer.from(wire, 'latin1');
  let data = '';
  let rest = '';
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    const piece = bytes.subarray(from, to);
    if (!decoder.done) {
      const stop = decoder.push(piece, 0, piece.length, (c) => {
        data += c.toString('latin1');
      });
      rest += piece.subarray(stop).toString('latin1');
    } else rest += piece.toString('latin1');
    from = to;
  }
  return { data, rest, done: decoder.done };
}

function refused(wire: string, what: RegExp): void {
  assert.throws(
    () => decode(wire),
    (e: Error) => e instanceof MalformedAnswer && what.test(e.message),
  );
}

const WIRE = '5\r\nhello\r\n1;name=value\r\n \r\nA ;x\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\nNEXT';

test('a chunked body decodes the same however the bytes are cut, and stops at its end', () => {
  const whole = decode(WIRE);
  assert.deepEqual(whole, { data: 'hello 0123456789', rest: 'NEXT', done: true });
  for (let cut = 1; cut < WIRE.length; cut++) assert.deepEqual(decode(WIRE, [cut]), whole, `cut at ${cut}`);
  for (let a = 1; a < WIRE.length; a += 3) {
    for (let b = a + 1; b < WIRE.length; b += 5)
      assert.deepEqual(decode(WIRE, [a, b]), whole, `cut at ${a}, ${b}`);
  }
});

test('an unfinished body is not done', () => {
  assert.deepEqual(decode('5\r\nhel'), { data: 'hel', rest: '', done: false });
  assert.deepEqual(decode('0\r\n'), { data: '', rest: '', done: false });
});

test('what only a lenient decoder would read is refused', () => {
  refused('5\nhello\r\n0\r\n\r\n', /bare LF/);
  refused('5\r\nhello\n0\r\n\r\n', /end of a chunk/);
  refused('5\r\nhelloX\r\n0\r\n\r\n', /longer than its size/);
  refused(' 5\r\nhello\r\n0\r\n\r\n', /not hex/);
  refused('-5\r\nhello\r\n0\r\n\r\n', /not hex/);
  refused('0x5\r\nhello\r\n0\r\n\r\n', /not hex/);
  refused('1234567890abc\r\n', /not hex/);
  refused('5\rX\r\nhello\r\n0\r\n\r\n', /bare CR|not hex/);
  refused('5;a=\x01\r\nhello\r\n0\r\n\r\n', /control character/);
  refused(`5;${'x'.repeat(5000)}\r\n`, /too long/);
  refused('0\r\nno colon here\r\n\r\n', /malformed trailer/);
  refused(`0\r\n${'X-A: 1\r\n'.repeat(3000)}\r\n`, /too long/);
});
