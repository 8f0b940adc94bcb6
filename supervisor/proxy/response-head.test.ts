import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RESPONSE_HEAD, MalformedAnswer, parseResponseHead, type ResponseHead } from './response-head.ts';

function parse(text: string, method = 'GET'): ResponseHead | null {
  const buf = Buffer.from(text, 'latin1');
  return parseResponseHead(buf, 0, buf.length, method);
}

function refused(text: string, what: RegExp, method = 'GET'): void {
  assert.throws(
    () => parse(text, method),
    (e: Error) => e instanceof MalformedAnswer && what.test(e.message),
  );
}

test('a plain answer: status, reason, raw pairs as sent, length framing, kept alive', () => {
  const head = parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  spaced \t\r\n\r\nhello');
  assert.ok(head);
  assert.equal(head.status, 200);
  assert.equal(head.statusMessage, 'OK');
  assert.deepEqual(head.rawHeaders, ['Content-Length', '5', 'X-A', 'spaced']);
  assert.deepEqual(head.framing, { kind: 'length', length: 5 });
  assert.equal(head.keepAlive, true);
  assert.equal(head.length, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  spaced \t\r\n\r\n'.length);
});

test('an unfinished head is null until its empty line, and bounded', () => {
  assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n'), null);
  assert.equal(parse('HTTP/1.1 200 OK\r\n\r'), null);
  refused(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_RESPONSE_HEAD)}`, /longer than/);
  refused(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_RESPONSE_HEAD)}\r\n\r\n`, /longer than/);
});

test('framing follows RFC 9112 §6.3', () => {
  assert.deepEqual(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')?.framing, {
    kind: 'chunked',
  });
  assert.deepEqual(parse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')?.framing, { kind: 'none' });
  assert.deepEqual(parse('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n', 'HEAD')?.framing, { kind: 'none' });
  for (const status of [100, 103, 204, 304])
    assert.deepEqual(parse(`HTTP/1.1 ${status} X\r\nContent-Length: 9\r\n\r\n`)?.framing, { kind: 'none' });
  const open = parse('HTTP/1.1 200 OK\r\n\r\n');
  assert.deepEqual(open?.framing, { kind: 'close' });
  assert.equal(open?.keepAlive, false);
  assert.deepEqual(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n')?.framing, { kind: 'close' });
  assert.deepEqual(parse('HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\ncontent-length: 7\r\n\r\n')?.framing, {
    kind: 'length',
    length: 7,
  });
});

test('whether the connection may carry another request', () => {
  assert.equal(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n')?.keepAlive, false);
  assert.equal(
    parse('HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\nContent-Length: 1\r\n\r\n')?.keepAlive,
    false,
  );
  assert.equal(parse('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n')?.keepAlive, false);
  assert.equal(
    parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n')?.keepAlive,
    true,
  );
});

test('answers framed two ways, or that lenient parsers read differently, are refused', () => {
  refused('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', /both/);
  refused('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', /differ/);
  refused('HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n', /differ/);
  refused('HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n', /not a number/);
  refused('HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\n', /not a number/);
  refused('HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999\r\n\r\n', /not a number/);
  refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', /not relayed/);
  refused('HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', /HTTP\/1.0/);
  refused('HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n', /no field name/);
  refused('HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 0\r\n\r\n', /control character/);
  refused('HTTP/1.1 200 OK\r\nX-A: 1\rContent-Length: 0\r\n\r\n', /control character/);
  refused('HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n', /not a token/);
  refused('HTTP/1.1 200 OK\r\n: 5\r\n\r\n', /no field name/);
  refused('HTTP/1.1 200 OK\r\nX-A: a\x00b\r\n\r\n', /control character/);
  refused('HTTP/2 200 OK\r\n\r\n', /status line/);
  refused('HTTP/1.1 20 OK\r\n\r\n', /status line/);
  refused('HTTP/1.1 200 O\nK\r\n\r\n', /status line/);
  refused('ICY 200 OK\r\n\r\n', /status line/);
});
