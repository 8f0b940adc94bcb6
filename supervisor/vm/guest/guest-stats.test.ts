// The guest's memory report: the agent reads /proc/meminfo and sends it, unasked, from setup
// on; the host keeps the latest plausible report and never takes it for the answer to setup.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import {
  type AgentMessage,
  encodeControl,
  FrameDecoder,
  FrameType,
  type HostMessage,
} from '../../api/frames.ts';
import { ControlClient } from '../control-client.ts';
import { GuestAgent, parseMeminfo } from './agent.ts';

const MEMINFO = `MemTotal:         997180 kB
MemFree:          812004 kB
MemAvailable:     851236 kB
Buffers:            2048 kB
`;

test('parseMeminfo reads MemTotal and MemAvailable in bytes, or nothing', () => {
  assert.deepEqual(parseMeminfo(MEMINFO), { memTotalBytes: 997180 * 1024, memAvailableBytes: 851236 * 1024 });
  assert.equal(parseMeminfo('MemTotal: 10 kB\n'), undefined, 'an old kernel without MemAvailable');
  assert.equal(parseMeminfo(''), undefined);
  assert.equal(parseMeminfo('MemTotal: lots kB\nMemAvailable: 1 kB\n'), undefined);
});

test('the agent reports its memory from setup on, every few seconds', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wguest-'));
  try {
    const meminfo = path.join(dir, 'meminfo');
    writeFileSync(meminfo, MEMINFO);
    const decoder = new FrameDecoder();
    const got: AgentMessage[] = [];
    const agent = new GuestAgent({
      io: {
        write: (data) => {
          for (const f of decoder.push(data))
            if (f.type === FrameType.control) got.push(f.message as AgentMessage);
          return true;
        },
        onDrain: (fn) => setImmediate(fn),
      },
      baseEnv: {},
      caBundlePath: path.join(dir, 'ca.pem'),
      statsEveryMs: 20,
      meminfoPath: meminfo,
    });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(got.filter((m) => m.op === 'stats').length, 0, 'nothing before setup');
    agent.handle({ type: FrameType.control, channel: 0, message: { op: 'setup', env: {} } as HostMessage });
    assert.equal(got[0]?.op, 'setup-done');
    assert.deepEqual(got[1], { op: 'stats', memTotalBytes: 997180 * 1024, memAvailableBytes: 851236 * 1024 });
    writeFileSync(meminfo, MEMINFO.replace('851236', '400000'));
    await new Promise((r) => setTimeout(r, 80));
    const last = got.filter((m) => m.op === 'stats').at(-1);
    assert.equal(last?.op === 'stats' && last.memAvailableBytes, 400000 * 1024, 'it reports again');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the host keeps the latest plausible report and still gets setup’s answer', async () => {
  const wire = new PassThrough();
  const socket = Object.assign(wire, { write: () => true }) as unknown as net.Socket;
  const client = new ControlClient(socket);
  const setup = client.setup({ env: {} });
  const stats = (memTotalBytes: number, memAvailableBytes: number) =>
    wire.emit('data', encodeControl(0, { op: 'stats', memTotalBytes, memAvailableBytes }));
  stats(1000, 400);
  wire.emit('data', encodeControl(0, { op: 'setup-done' }));
  await setup;
  assert.equal(client.stats?.memTotalBytes, 1000);
  assert.equal(client.stats?.memAvailableBytes, 400);
  stats(1000, 5000); // more available than there is: not kept
  stats(-1, 0);
  assert.equal(client.stats?.memAvailableBytes, 400);
  stats(1000, 300);
  assert.equal(client.stats?.memAvailableBytes, 300);
});
