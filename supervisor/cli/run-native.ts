// `warden run` compiled to one executable with Bun (dist/warden-run, built by
// build/run-native.mjs; bin/warden runs it for `warden run`). It starts in ~30 ms where Node
// spends ~75 ms before any script runs, and behaves as run-main.ts for the same argv: the
// same command code, the same API client, the same exit codes. What only the Node CLI does
// (start the daemon, build an image, install an agent: hand-over.ts) it hands over.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { ExitCode } from './exit-codes.ts';
import { setHandOver } from './hand-over.ts';
import { runProgram } from './program.ts';
import { runCommand } from './run-command.ts';
import { signalNumber } from './signal-forwarding.ts';

const argv = process.argv.slice(2);

/** bin/warden.mjs beside this executable's dist/, run by the `node` on PATH as its shebang does. */
function nodeCli(why: string): Promise<never> {
  const bin = path.join(path.dirname(process.execPath), '..', 'bin', 'warden.mjs');
  const child = spawn('node', [bin, ...argv], { stdio: 'inherit' });
  // The terminal sends Ctrl-C to both: the Node CLI answers it. Signals sent to this process
  // alone (kill, timeout, a service manager) are passed on.
  process.on('SIGINT', () => {});
  for (const s of ['SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(s, () => child.kill(s));
  return new Promise<never>(() => {
    child.once('error', (error) => {
      process.stderr.write(`warden: cannot start node to ${why} (${bin}): ${error.message}\n`);
      process.stderr.write('  Node.js 20 or later must be on PATH for this first run\n');
      process.exit(ExitCode.environment);
    });
    child.once('exit', (code, signal) => process.exit(code ?? 128 + signalNumber(signal ?? 'SIGKILL')));
  });
}

setHandOver(nodeCli);
void runProgram(argv, [runCommand]).then((code) => {
  process.exitCode = code;
  // As run-main.ts: the sandbox is the daemon's to remove, so exit once the output is written.
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
});
