import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStatCpuSeconds, parseStatusRssBytes, procStats } from './proc-stats.ts';

test('this process: CPU time grows with work, resident memory is plausible', () => {
  const before = procStats(process.pid);
  assert.ok(before, 'this system has /proc');
  // Spin until this process has used 200 ms of CPU by its own count (on a loaded machine
  // that can take far longer than 200 ms of wall time), bounded at 20 s.
  const cpuStart = process.cpuUsage();
  const deadline = Date.now() + 20_000;
  let x = 0;
  for (;;) {
    for (let i = 0; i < 100_000; i++) x += Math.sqrt(x + 1);
    const used = process.cpuUsage(cpuStart);
    if (used.user + used.system >= 200_000 || Date.now() > deadline) break;
  }
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
