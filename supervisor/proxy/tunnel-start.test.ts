import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyTunnelStart } from './tunnel-start.ts';

const of = (text: string | number[]) =>
  classifyTunnelStart(typeof text === 'string' ? Buffer.from(text, 'latin1') : Uint8Array.from(text));

test('a request line is HTTP once its end shows it; before, nothing is decided', () => {
  for (const line of [
    'GET / HTTP/1.1\r\n',
    'POST /x HTTP/1.0\n',
    'get / HTTP/1.1\r\n',
    'PROPFIND /d HTTP/1.1\r',
  ]) {
    assert.equal(of(line), 'http', line);
  }
  const whole = 'GET /a/b?c=d HTTP/1.1\r\n';
  for (let cut = 0; cut < whole.length - 2; cut++)
    assert.equal(of(whole.slice(0, cut)), 'more', whole.slice(0, cut));
  assert.equal(of(`GET /${'x'.repeat(9000)}`), 'http', 'an endless request line is read, not spliced');
});

test('TLS, SSH, SMTP and other starts are not HTTP', () => {
  assert.equal(of([0x16, 0x03, 0x01, 0x02, 0x00]), 'other', 'a TLS ClientHello');
  assert.equal(of('SSH-2.0-OpenSSH_9.2p1\r\n'), 'other');
  assert.equal(of('EHLO agent.test\r\n'), 'other', 'an SMTP command');
  assert.equal(of('USER anonymous\r\n'), 'other', 'an FTP command');
  assert.equal(of('\x00\x00'), 'other');
  assert.equal(of('GE\r\n'), 'other');
  assert.equal(of('A /'), 'other', 'too short for a method');
  assert.equal(of('ABCDEFGHIJKLMNOPQ '), 'other', 'longer than any method');
});
