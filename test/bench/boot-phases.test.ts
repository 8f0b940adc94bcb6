import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootPhases } from './boot-phases.ts';

test('boot phases come from the console lines of the guest and the uptime in its hello', () => {
  const console = [
    '[    1.519395] printk: console [hvc0] enabled',
    'warden-init: started at 1.17s, modules loaded at 1.77s',
    'warden-init: root ready at 2.42s',
    'warden-agent: starting at 2.45s',
  ].join('\n');
  assert.deepEqual(bootPhases(console, 4090), {
    kernelMs: 1170,
    modulesMs: 600,
    rootMs: 650,
    initToAgentMs: 30,
    agentMs: 1640,
  });
  // A restarted agent prints its line again: the last one is the one that said hello.
  assert.equal(bootPhases(`${console}\nwarden-agent: starting at 9.00s`, 9500)?.agentMs, 500);
  assert.equal(bootPhases(console.replace(/warden-agent.*/, ''), 4090), undefined);
});
