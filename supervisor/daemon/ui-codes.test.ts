import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OneTimeCodes } from './ui-codes.ts';

test('a code works once', () => {
  const codes = new OneTimeCodes();
  const code = codes.issue();
  assert.match(code, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(codes.redeem(code), true);
  assert.equal(codes.redeem(code), false);
});

test('a code does not work after it expires, and an unknown code never works', () => {
  let now = 1_000;
  const codes = new OneTimeCodes({ ttlMs: 60_000, now: () => now });
  const late = codes.issue();
  const early = codes.issue();
  now += 59_999;
  assert.equal(codes.redeem(early), true);
  now += 1;
  assert.equal(codes.redeem(late), false);
  assert.equal(codes.redeem('x'.repeat(43)), false);
});

test('minting many codes keeps only the newest few', () => {
  const codes = new OneTimeCodes();
  const first = codes.issue();
  const rest = Array.from({ length: 16 }, () => codes.issue());
  assert.equal(codes.redeem(first), false);
  assert.ok(rest.every((c) => codes.redeem(c)));
});
