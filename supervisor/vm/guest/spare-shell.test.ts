// The spare shell on the host's busybox: the command it becomes gets exactly its argv,
// environment, directory and stdin, and reports exit codes as a direct spawn would.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { type CommandSpec, commandScript, SpareShell } from './spare-shell.ts';

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

function run(
  child: ChildProcess,
  input?: string,
): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d;
  });
  if (input !== undefined) child.stdin?.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

async function viaSpare(spec: CommandSpec, input?: string) {
  const spare = new SpareShell({ file: BUSYBOX as string, args: ['sh', '-s'] });
  spare.prepare();
  const child = spare.take(spec);
  assert.ok(child, 'the spare takes the command');
  assert.equal(spare.take(spec), undefined, 'a spare runs one command');
  return run(child, input);
}

test('commandScript quotes every value and gives the command fd 3 or /dev/null as stdin', () => {
  const script = commandScript({
    argv: ['printf', "it's\nhere"],
    env: { A: 'x y' },
    cwd: '/tmp',
    stdin: false,
  });
  assert.equal(
    script,
    "unset SHLVL PWD OLDPWD\nexport A='x y'\ncd /tmp || exit 127\nexec printf 'it'\\''s\nhere' </dev/null 3<&-\n",
  );
  assert.equal(commandScript({ argv: ['true'], env: { 'BAD-NAME': '1' }, stdin: false }), undefined);
});

test('the command gets exactly its environment, directory, argv and stdin', { skip: !BUSYBOX }, async () => {
  const env = { PATH: '/usr/bin:/bin', ODD: "a 'quoted'\nvalue $HOME `x`" };
  const printed = await viaSpare({ argv: [BUSYBOX as string, 'env'], env, stdin: false });
  assert.deepEqual([printed.code, printed.err], [0, '']);
  // Node adds NODE_V8_COVERAGE to every child's environment when coverage is collected.
  const lines = printed.out.split('\n').filter((l) => l && !l.startsWith('NODE_V8_COVERAGE='));
  assert.deepEqual(lines.sort(), ["ODD=a 'quoted'", 'PATH=/usr/bin:/bin', 'value $HOME `x`']);
  const r = await viaSpare(
    {
      argv: [BUSYBOX as string, 'sh', '-c', 'pwd; cat; echo "[$1]"', 'sh', 'x\ny'],
      env,
      cwd: '/tmp',
      stdin: true,
    },
    'from stdin\n',
  );
  assert.deepEqual([r.code, r.err], [0, '']);
  assert.equal(r.out, '/tmp\nfrom stdin\n[x\ny]\n');
});

test('without stdin the command reads /dev/null; exit codes and a missing command pass through', {
  skip: !BUSYBOX,
}, async () => {
  const quiet = await viaSpare({ argv: [BUSYBOX as string, 'cat'], env: {}, stdin: false });
  assert.deepEqual([quiet.code, quiet.out], [0, '']);
  const seven = await viaSpare({ argv: [BUSYBOX as string, 'sh', '-c', 'exit 7'], env: {}, stdin: false });
  assert.equal(seven.code, 7);
  const missing = await viaSpare({ argv: ['no-such-command-here'], env: { PATH: '/bin' }, stdin: false });
  assert.equal(missing.code, 127);
  assert.match(missing.err, /not found/);
  const noDir = await viaSpare({ argv: ['true'], env: {}, cwd: '/no/such/dir', stdin: false });
  assert.equal(noDir.code, 127);
});

test('commands back to back get no spare; one forks once they pause', { skip: !BUSYBOX }, async () => {
  const spare = new SpareShell({ file: BUSYBOX as string, args: ['sh', '-s'] });
  const spec: CommandSpec = { argv: [BUSYBOX as string, 'true'], env: {}, stdin: false };
  for (let i = 0; i < 6; i++) {
    spare.prepareWhenIdle(60);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(spare.take(spec), undefined, 'still busy: no spare forked');
  spare.prepareWhenIdle(60);
  await new Promise((r) => setTimeout(r, 150));
  const child = spare.take(spec);
  assert.ok(child, 'a spare once things were quiet');
  assert.equal((await run(child)).code, 0);
  spare.dispose();
});

test('a spare that died while waiting is not handed a command', { skip: !BUSYBOX }, async () => {
  const spare = new SpareShell({ file: BUSYBOX as string, args: ['sh', '-s'] });
  spare.prepare();
  await new Promise((r) => setTimeout(r, 100));
  const pid = spare.pid;
  assert.ok(pid, 'a spare waits');
  // Dead before this process has seen its exit (no await in between, so no exit event yet).
  process.kill(pid, 'SIGKILL');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  assert.equal(spare.take({ argv: [BUSYBOX as string, 'true'], env: {}, stdin: false }), undefined);
  assert.equal(spare.pid, undefined, 'the dead spare was let go');
});

test('whenIdle runs once a quiet spell has forked the spare, not when a command comes first', {
  skip: !BUSYBOX,
}, async () => {
  let idle = 0;
  const spare = new SpareShell({ file: BUSYBOX as string, args: ['sh', '-s'] }, () => idle++);
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    spare.prepareWhenIdle(20);
    await wait(5);
    spare.prepareWhenIdle(20); // a command started: the quiet spell starts again
    await wait(30);
    assert.ok(spare.pid, 'the spare forked after 20 ms of quiet');
    assert.equal(idle, 0, 'whenIdle waits a moment after the fork');
    spare.prepareWhenIdle(20); // a command came in that moment: no collection now
    await wait(10);
    assert.equal(idle, 0);
    await wait(300);
    assert.equal(idle, 1, 'the next quiet spell ran it once');
  } finally {
    spare.dispose();
  }
});
