// What a model API host (or anything pretending to be one) can send the usage reader: lines
// without end, bodies over the cap, counts that are not counts, JSON that is not JSON. The
// reader stays within its caps, never throws, and says why its figures may be short.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedLines } from '../../supervisor/spend/lines.ts';
import { UsageReader } from '../../supervisor/spend/read-usage.ts';

const limits = { maxLineBytes: 1024, maxJsonBytes: 4096 };

test('a line with no end is dropped at the cap, and the lines after it are still read', () => {
  const lines = new BoundedLines(16);
  const seen: string[] = [];
  lines.push(Buffer.from('short\n'), (l) => seen.push(l));
  for (let i = 0; i < 1000; i++) lines.push(Buffer.alloc(1000, 0x61), (l) => seen.push(l));
  lines.push(Buffer.from('tail\r\nnext\n'), (l) => seen.push(l));
  assert.deepEqual(
    seen,
    ['short', 'next'],
    'the over-long line (and the rest of it up to its end) is dropped',
  );
  assert.equal(seen[0], 'short');
  assert.equal(seen.at(-1), 'next', 'the stream goes on after the over-long line');
  assert.equal(lines.overlong, 1);
});

test('an SSE stream of over-long lines: usage events after them are read, the skip is reported', () => {
  const r = new UsageReader('anthropic.messages', 'text/event-stream', limits);
  r.push(Buffer.from(`data: {"type":"content_block_delta","usage":"${'x'.repeat(5000)}"}\n\n`));
  r.push(
    Buffer.from('data: {"type":"message_start","message":{"model":"m","usage":{"input_tokens":3}}}\n\n'),
  );
  r.end();
  const u = r.result();
  assert.equal(u.inputTokens, 3);
  assert.match(u.incomplete ?? '', /1 over-long lines were skipped/);
});

test('a JSON answer over the cap is not kept: its usage is not read and that is said', () => {
  const r = new UsageReader('openai.chat', 'application/json', limits);
  for (let i = 0; i < 100; i++) r.push(Buffer.alloc(1000, 0x20));
  r.push(Buffer.from('{"model":"m","usage":{"prompt_tokens":5,"completion_tokens":5}}'));
  r.end();
  const u = r.result();
  assert.equal(u.inputTokens, 0);
  assert.match(u.incomplete ?? '', /over 4096 bytes/);
});

test('counts that are not counts are ignored; cached above the input is bounded by it', () => {
  const r = new UsageReader('openai.chat', 'application/json', limits);
  r.push(
    Buffer.from(
      JSON.stringify({
        model: 'm'.repeat(1000),
        usage: { prompt_tokens: 10, completion_tokens: -4, prompt_tokens_details: { cached_tokens: 1e9 } },
      }),
    ),
  );
  r.end();
  const u = r.result();
  assert.equal(u.model?.length, 200, 'the model name is cut to 200 characters');
  assert.equal(u.outputTokens, 0);
  assert.equal(u.inputTokens, 0);
  assert.equal(u.cacheReadTokens, 10);
  for (const bad of ['1e400', '"12"', '1.5', 'null', '{"a":1}']) {
    const s = new UsageReader('anthropic.messages', 'application/json', limits);
    s.push(Buffer.from(`{"model":"m","usage":{"input_tokens":${bad},"output_tokens":2}}`));
    s.end();
    assert.equal(s.result().inputTokens, 0, `input_tokens ${bad}`);
    assert.equal(s.result().outputTokens, 2);
  }
});

test('garbage, binary and truncated JSON never throw', () => {
  for (const body of [
    '{',
    'not json',
    '\u0000\u00ff\u0001',
    '[1,2,3]',
    '"usage"',
    '{"usage":{"input_tokens":',
  ]) {
    for (const type of ['application/json', 'text/event-stream']) {
      const r = new UsageReader('openai.responses', type, limits);
      r.push(Buffer.from(type === 'text/event-stream' ? `data: ${body}\n\n` : body));
      r.end();
      assert.equal(r.result().inputTokens, 0);
      assert.ok(r.result().incomplete, `${type} ${JSON.stringify(body)} is reported as carrying no usage`);
    }
  }
});

test('after a cut nothing more is read', () => {
  const r = new UsageReader('anthropic.messages', 'application/json', limits);
  r.cut('the client went away');
  r.push(Buffer.from('{"usage":{"input_tokens":9}}'));
  r.end();
  assert.equal(r.result().inputTokens, 0);
  assert.match(r.result().incomplete ?? '', /client went away/);
});
