// `warden` — the command-line entry (bundled into dist/warden.mjs).
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2));
