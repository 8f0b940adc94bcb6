// `warden` — the command-line entry (bundled into dist/warden.mjs). `warden run` has its own
// entry (run-main.ts), which bin/warden.mjs loads instead when it is built.
import { exitsWhenDone, factoriesFor } from './commands.ts';
import { runProgram } from './program.ts';

const argv = process.argv.slice(2);
process.exitCode = await runProgram(argv, await factoriesFor(argv));
// Only with nothing left to write: pipes are asynchronous outside Linux.
const flushed = process.stdout.writableLength === 0 && process.stderr.writableLength === 0;
if (exitsWhenDone(argv) && flushed) process.exit();
