// The guest agent's PTY sessions on the host (util-linux `script` and busybox, as in the
// guest): a resize that arrives before the PTY exists (a terminal that fits its panel as it
// opens) is applied once the command has its PTY, never reported as an error.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import {
  type AgentMessage,
  type Frame,
  FrameDecoder,
  FrameType,
  type HostMessage,
} from '../../api/frames.ts';
import { GuestAgent } from './agent.ts';

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));
const skip = !BUSYBOX || !SCRIPT ? 'needs busybox and util-linux script' : false;

/** An agent whose output is decoded as it comes: control messages and terminal text per channel. */
function agentOnHost() {
  const decoder = new FrameDecoder();
  const controls: Array<{ channel: number; message: AgentMessage }> = [];
  let output = '';
  const waiters = new Set<() => void>();
  const agent = new GuestAgent({
    io: {
      write: (data) => {
        for (const f of decoder.push(data)) {
          if (f.type === FrameType.control)
            controls.push({ channel: f.channel, message: f.message as AgentMessage });
          else output += f.data.toString('utf8');
        }
        for (const w of [...waiters]) w();
        return true;
      },
      onDrain: (fn) => setImmediate(fn),
    },
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    scriptPath: SCRIPT as string,
    busybox: BUSYBOX as string,
  });
  const send = (channel: number, message: HostMessage) =>
    agent.handle({ type: FrameType.control, channel, message } as Frame);
  const input = (channel: number, text: string) =>
    agent.handle({ type: FrameType.stdin, channel, data: Buffer.from(text) } as Frame);
  /** Resolves once `done()` holds (checked after every write); fails after `ms`. */
  const until = (what: string, done: () => boolean, ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; output ${JSON.stringify(output)}`));
      }, ms);
      waiters.add(check);
      check();
    });
  const exited = (channel: number) => controls.some((c) => c.channel === channel && c.message.op === 'exit');
  const errors = () => controls.filter((c) => c.message.op === 'error').map((c) => c.message);
  return { send, input, until, exited, errors, output: () => output };
}

test('a resize sent right after exec, before the PTY exists, sizes it once it does', { skip }, async () => {
  const a = agentOnHost();
  // `read` waits for a line, so the size is printed after both the start and the resize.
  a.send(1, {
    op: 'exec',
    argv: ['sh', '-c', 'read line; stty size'],
    stdin: true,
    pty: { rows: 24, cols: 80 },
  });
  a.send(1, { op: 'resize', rows: 40, cols: 100 });
  // Twice, quickly: the last size asked for wins.
  a.send(1, { op: 'resize', rows: 41, cols: 101 });
  await new Promise((r) => setTimeout(r, 300));
  a.input(1, '\n');
  await a.until('the command to end', () => a.exited(1));
  assert.deepEqual(a.errors(), [], 'no error for an early resize');
  assert.match(a.output(), /41 101/);
});

test('a resize while the command runs sizes its PTY; a resize on a channel without one is an error', {
  skip,
}, async () => {
  const a = agentOnHost();
  a.send(2, {
    op: 'exec',
    argv: ['sh', '-c', 'stty size; read line; stty size'],
    stdin: true,
    pty: { rows: 24, cols: 80 },
  });
  await a.until('the first size', () => /24 80/.test(a.output()));
  a.send(2, { op: 'resize', rows: 30, cols: 90 });
  a.input(2, '\n');
  await a.until('the command to end', () => a.exited(2));
  assert.match(a.output(), /24 80[\s\S]*30 90/);
  assert.deepEqual(a.errors(), []);
  a.send(3, { op: 'exec', argv: ['sh', '-c', 'read line'], stdin: true });
  a.send(3, { op: 'resize', rows: 30, cols: 90 });
  assert.deepEqual(
    a.errors().map((m) => m.op === 'error' && m.message),
    ['resize: no PTY on this channel'],
  );
  a.send(3, { op: 'stdin-eof' });
  await a.until('the pipe command to end', () => a.exited(3));
});
