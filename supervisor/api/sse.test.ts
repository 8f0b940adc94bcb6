import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSse, type SseEvent, SseParser } from './sse.ts';

/** Every event of `text` when it arrives cut into the given pieces. */
function parse(...chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  return chunks.flatMap((c) => parser.push(c));
}

const STREAM =
  'retry: 2000\n\n: ping\n\nevent: a\ndata: {"x":1}\n\nevent: b\nid: 7\ndata: one\ndata: two\n\n';
const EVENTS: SseEvent[] = [
  { event: 'a', data: '{"x":1}' },
  { event: 'b', data: 'one\ntwo', id: '7' },
];

test('an event stream in one chunk: comments and retry-only blocks dispatch nothing', () => {
  assert.deepEqual(parse(STREAM), EVENTS);
});

test('the same stream cut at every position, and one character at a time', () => {
  for (let i = 0; i <= STREAM.length; i++)
    assert.deepEqual(parse(STREAM.slice(0, i), STREAM.slice(i)), EVENTS);
  assert.deepEqual(parse(...STREAM), EVENTS);
});

test('CRLF and lone CR end lines too, also when the CR and LF arrive in different chunks', () => {
  const crlf = STREAM.replaceAll('\n', '\r\n');
  const cr = STREAM.replaceAll('\n', '\r');
  for (const text of [crlf, cr]) {
    assert.deepEqual(parse(text), EVENTS);
    for (let i = 0; i <= text.length; i++) assert.deepEqual(parse(text.slice(0, i), text.slice(i)), EVENTS);
  }
  // A CR at the end of a chunk is a line end at once: the event is not held back for the LF.
  const parser = new SseParser();
  assert.deepEqual(parser.push('data: x\r\r'), [{ event: 'message', data: 'x' }]);
  assert.deepEqual(parser.push('\ndata: y\n\n'), [{ event: 'message', data: 'y' }]);
});

test('multi-line data keeps its empty lines; one space after the colon is dropped, no more', () => {
  assert.deepEqual(parse('data: a\ndata\ndata:\ndata:  b\ndata:c\n\n'), [
    { event: 'message', data: 'a\n\n\n b\nc' },
  ]);
});

test('comments are ignored wherever they are, also in the middle of an event', () => {
  assert.deepEqual(parse(':hello\ndata: 1\n: keep-alive\ndata: 2\n\n'), [{ event: 'message', data: '1\n2' }]);
});

test('an event without data dispatches nothing and its name does not leak into the next', () => {
  assert.deepEqual(parse('event: lonely\n\ndata: x\n\n'), [{ event: 'message', data: 'x' }]);
});

test('an unfinished event is held until its blank line arrives', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('event: a\ndata: 1\n'), []);
  assert.deepEqual(parser.push('\n'), [{ event: 'a', data: '1' }]);
});

test('the id carries over to later events; unknown fields are ignored; retry is kept', () => {
  const parser = new SseParser();
  assert.equal(parser.retryMs, undefined);
  assert.deepEqual(parser.push('id: 1\nfoo: bar\ndata: a\n\ndata: b\n\nretry: x\nretry: 1500\n\n'), [
    { event: 'message', data: 'a', id: '1' },
    { event: 'message', data: 'b', id: '1' },
  ]);
  assert.equal(parser.retryMs, 1500);
});

test('a byte-order mark at the start of the stream is skipped', () => {
  assert.deepEqual(parse('\uFEFF', 'data: x\n\n'), [{ event: 'message', data: 'x' }]);
});

test('encodeSse writes what the parser reads back, data with line breaks included', () => {
  const data = 'first\nsecond\r\nthird';
  assert.equal(encodeSse('x', '{"a":1}'), 'event: x\ndata: {"a":1}\n\n');
  assert.deepEqual(parse(encodeSse('x', data) + encodeSse('y', '')), [
    { event: 'x', data: 'first\nsecond\nthird' },
    { event: 'y', data: '' },
  ]);
  assert.throws(() => encodeSse('a\nb', 'x'), /line break/);
});
