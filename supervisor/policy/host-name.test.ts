import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeHost } from './host-name.ts';

describe('normalizeHost memo', () => {
  it('answers a host asked again as it did the first time', () => {
    for (const [raw, want] of [
      ['Example.COM.', 'example.com'],
      ['0x7f.1', '127.0.0.1'],
      ['[0:0::1]', '::1'],
      ['bücher.example', 'xn--bcher-kva.example'],
    ] as const) {
      assert.equal(normalizeHost(raw), want);
      assert.equal(normalizeHost(raw), want);
    }
  });

  it('throws for an invalid host every time it is asked, never answering from memory', () => {
    for (const raw of ['a b.example', 'host:80', '-bad.example', '']) {
      assert.throws(() => normalizeHost(raw), /invalid host/);
      assert.throws(() => normalizeHost(raw), /invalid host/);
    }
  });

  it('stays right past its bound (it empties itself, it does not grow)', () => {
    for (let i = 0; i < 10_000; i++) assert.equal(normalizeHost(`H${i}.Example`), `h${i}.example`);
    assert.equal(normalizeHost('H1.Example'), 'h1.example');
  });
});
