// `warden run` alone: the entry of dist/warden-run.cjs, one CommonJS file that bin/warden.mjs
// compiles with a V8 code cache for `warden run`. The commonest command then pays neither for
// the ES module loader (a promise chain per module, two dozen chunks) nor for the other
// commands; its behaviour is main.ts's for the same argv (commands.ts loads only run there too).
import { runProgram } from './program.ts';
import { runCommand } from './run-command.ts';

const argv = process.argv.slice(2);
void runProgram(argv, [runCommand]).then((code) => {
  process.exitCode = code;
  // As main.ts: the sandbox is the daemon's to remove, so exit once the output is written.
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
});
