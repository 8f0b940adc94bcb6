// `warden` — the command-line entry (bundled into dist/warden.mjs).
import { exitsWhenDone } from './commands.ts';
import { runCli } from './program.ts';

const argv = process.argv.slice(2);
process.exitCode = await runCli(argv);
// Only with nothing left to write: pipes are asynchronous outside Linux.
const flushed = process.stdout.writableLength === 0 && process.stderr.writableLength === 0;
if (exitsWhenDone(argv) && flushed) process.exit();
