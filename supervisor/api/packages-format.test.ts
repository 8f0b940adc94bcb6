import assert from 'node:assert/strict';
import { test } from 'node:test';
import { publishedAgo, publishedText } from './packages-format.ts';

const now = Date.parse('2026-12-07T12:00:00Z');

test('publishedAgo says minutes, then hours, then days', () => {
  assert.equal(publishedAgo('2026-12-07T11:59:00Z', now), '1 minute ago');
  assert.equal(publishedAgo('2026-12-07T10:01:00Z', now), '119 minutes ago');
  assert.equal(publishedAgo('2026-12-07T09:00:00Z', now), '3 hours ago');
  assert.equal(publishedAgo('2026-11-30T12:00:00Z', now), '7 days ago');
  // A clock ahead of the registry's never says "-5 minutes".
  assert.equal(publishedAgo('2026-12-07T12:05:00Z', now), '0 minutes ago');
  assert.equal(publishedAgo('not a time', now), '');
});

test('publishedText names an unknown publish time', () => {
  assert.equal(publishedText(undefined, now), 'unknown');
  assert.equal(publishedText('2026-12-07T09:00:00Z', now), '2026-12-07T09:00:00Z (3 hours ago)');
});
