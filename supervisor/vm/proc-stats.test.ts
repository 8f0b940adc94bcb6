import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStatCpuSeconds, parseStatusRssBytes, procStats } from './proc-stats.ts';

test('this process: CPU time grows with work, resident memory is plausible', () => {
  const before = procStats(process.pid);
  assert.ok(before, 'this system has /proc');
  const until = Date.now() + 300;
  let x = 0;
  while (Date.now() < until) x += Math.sqrt(x + 1);
  const after = procStats(process.pid)!;
  assert.ok(after.cpuSeconds >= before.cpuSeconds + 0.05, `${before.cpuSeconds} → ${after.cpuSeconds}`);
  assert.ok(after.rssBytes > 10 * 2 ** 20 && after.rssBytes < 64 * 2 ** 30, String(after.rssBytes));
});

test('a gone or invalid pid has no stats', () => {
  assert.equal(procStats(0), undefined);
  assert.equal(procStats(-5), undefined);
  assert.equal(procStats(2 ** 31 - 2), undefined);
});

test('a command name with spaces and parentheses does not shift the fields', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[11] = '250'; // utime (field 14)
  fields[12] = '50'; // stime (field 15)
  assert.equal(parseStatCpuSeconds(`1234 (qemu (evil) 1 2 3) ${fields.join(' ')}`), 3);
  assert.equal(parseStatCpuSeconds('garbage'), undefined);
  assert.equal(parseStatusRssBytes('Name:\tqemu\nVmRSS:\t  2048 kB\nThreads: 3\n'), 2 * 2 ** 20);
  assert.equal(parseStatusRssBytes('Name:\tzombie\n'), undefined);
});
