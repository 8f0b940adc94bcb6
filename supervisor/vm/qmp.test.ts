// The QMP client against a scripted QMP server on a unix socket (QEMU's own is exercised by
// test/vm/vm-template.test.ts and restore.test.ts): greeting and capabilities, replies in
// order, errors with QEMU's description, events kept for a later wait, a failed migration,
// and a connection that closes under a pending command.

import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.ts';
import { Qmp, shellPath } from './qmp.ts';

/** A QMP server that answers each command with `answer(execute)` (a line each, or none). */
async function server(
  dir: string,
  answer: (execute: string, socket: net.Socket) => string[],
): Promise<{ file: string; got: string[]; close: () => void }> {
  const file = path.join(dir, 'qmp.sock');
  const got: string[] = [];
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => {
    sockets.push(s);
    s.write('{"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}}\r\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const m = JSON.parse(buf.slice(0, nl)) as { execute: string };
        buf = buf.slice(nl + 1);
        got.push(m.execute);
        for (const line of answer(m.execute, s)) s.write(`${line}\r\n`);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(file, r));
  return {
    file,
    got,
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

const signal = () => AbortSignal.timeout(5000);

test('commands are answered in order; an error carries QEMU’s description; events wait', async (t) => {
  const s = await server(tempDir(t, 'wqmp-'), (execute) => {
    if (execute === 'qmp_capabilities') return ['{"return": {}}'];
    if (execute === 'migrate')
      return [
        '{"event": "MIGRATION", "data": {"status": "setup"}, "timestamp": {}}',
        '{"return": {}}',
        '{"event": "MIGRATION", "data": {"status": "completed"}, "timestamp": {}}',
      ];
    if (execute === 'bogus')
      return ['{"error": {"class": "CommandNotFound", "desc": "The command bogus has not been found"}}'];
    return ['{"return": {"status": "running"}}'];
  });
  t.after(s.close);
  const qmp = await Qmp.connect(s.file, signal());
  t.after(() => qmp.close());
  const [a, b] = await Promise.all([qmp.command('query-status'), qmp.command('stop')]);
  assert.deepEqual(a, { status: 'running' });
  assert.deepEqual(b, { status: 'running' });
  await assert.rejects(qmp.command('bogus'), /QMP: The command bogus has not been found/);
  await qmp.command('migrate', { uri: 'exec:cat' });
  await qmp.migrationDone(signal()); // the event came before the wait began
  assert.deepEqual(s.got, ['qmp_capabilities', 'query-status', 'stop', 'bogus', 'migrate']);
});

test('a failed migration and a connection closing under a command both reject', async (t) => {
  const s = await server(tempDir(t, 'wqmp-'), (execute, socket) => {
    if (execute === 'qmp_capabilities') return ['{"return": {}}'];
    if (execute === 'migrate-incoming')
      return ['{"return": {}}', '{"event": "MIGRATION", "data": {"status": "failed"}}'];
    socket.destroy(); // QEMU exiting
    return [];
  });
  t.after(s.close);
  const qmp = await Qmp.connect(s.file, signal());
  await qmp.command('migrate-incoming', { uri: 'exec:cat x' });
  await assert.rejects(qmp.migrationDone(signal()), /QMP: the migration failed/);
  await assert.rejects(qmp.command('cont'), /QMP: the connection closed/);
  await assert.rejects(qmp.command('cont'), /QMP: the connection closed/, 'and every command after');
});

test('a wait gives up when its signal aborts', async (t) => {
  const s = await server(tempDir(t, 'wqmp-'), () => ['{"return": {}}']);
  t.after(s.close);
  const qmp = await Qmp.connect(s.file, signal());
  t.after(() => qmp.close());
  await assert.rejects(qmp.migrationDone(AbortSignal.timeout(50)), /TimeoutError|timed out|aborted/i);
});

test('paths in a migration command are quoted, and refused when they could break out', () => {
  assert.equal(shellPath('/home/a b/state'), "'/home/a b/state'");
  assert.throws(() => shellPath("/x/'; rm -rf ~; '"), /not allowed/);
  assert.throws(() => shellPath('/x\n/y'), /not allowed/);
});
