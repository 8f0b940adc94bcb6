// Publish times read from the bytes give exactly what `new Date(text)` gives (npm's own
// reading of them is JavaScript's), for the registry's form and every odd one.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readPackument, timeMillis } from './packument-read.ts';

const TIMES = [
  '2026-12-07T02:00:00.000Z',
  '2024-02-29T23:59:59.999Z',
  '2023-02-29T00:00:00.000Z',
  '2000-02-29T00:00:00.000Z',
  '1900-02-29T00:00:00.000Z',
  '2026-04-31T00:00:00.000Z',
  '2026-12-31T00:00:00.000Z',
  '2026-13-01T00:00:00.000Z',
  '2026-00-10T00:00:00.000Z',
  '2026-01-00T00:00:00.000Z',
  '2026-01-01T24:00:00.000Z',
  '2026-01-01T23:60:00.000Z',
  '2026-01-01T23:59:60.000Z',
  '0099-01-01T00:00:00.000Z',
  '0100-01-01T00:00:00.000Z',
  '2026-01-01T00:00:00.000+',
  '2026-01-01 00:00:00.000Z',
  '2026-01-01T00:00:00.00xZ',
  '2026-01-01T00:00:00Z',
  '2026-01-01',
  '+012026-01-01T00:00:00Z',
  'not a date at all, 24 ch',
  '',
];

test('publish times read from the bytes are what new Date reads', () => {
  for (const t of TIMES) {
    for (const written of [JSON.stringify(t), JSON.stringify(t).replace('T', '\\u0054')]) {
      const doc = Buffer.from(`{"name":"p","versions":{},"time":{"1.0.0":${written}}}`);
      const read = readPackument(doc, 'p');
      const got = timeMillis(doc, read?.time?.get('1.0.0'));
      assert.ok(Object.is(got, new Date(t).getTime()), `${written}: ${got} vs ${new Date(t).getTime()}`);
    }
  }
  const doc = Buffer.from('{"name":"p","versions":{},"time":{"1.0.0":5}}');
  assert.equal(timeMillis(doc, readPackument(doc, 'p')?.time?.get('1.0.0')), undefined);
});
