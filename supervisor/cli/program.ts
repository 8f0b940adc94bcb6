// Builds the `warden` command tree and runs it with exit codes scripts can trust. The
// command modules are the caller's to load (commands.ts), so an entry that knows its one
// command (run-main.ts) bundles nothing else.
import { Command, CommanderError } from 'commander';
import { VERSION } from '../api/version.ts';
import { ApiClientError, DaemonUnavailableError } from '../client/api-client.ts';
import { formatPolicyError } from '../policy/format-error.ts';
import type { CommandFactory } from './commands.ts';
import { CliError, ExitCode } from './exit-codes.ts';

export function buildProgram(factories: CommandFactory[]): Command {
  const program = new Command('warden')
    .description(
      'Govern AI coding agents: sandboxes, an egress policy, approvals, secrets and an audit trail.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const factory of factories) program.addCommand(factory());
  // Usage errors must reach runProgram (exit code 2), not end the process from inside commander.
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.showHelpAfterError('(run with --help for usage)');
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Run `warden ARGV…` with the commands `factories` make; resolves to the process exit code. */
export async function runProgram(argv: string[], factories: CommandFactory[]): Promise<number> {
  const program = buildProgram(factories);
  try {
    process.exitCode = undefined;
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`warden: ${error.message}\n`);
      if (error.hint) process.stderr.write(`  ${error.hint}\n`);
      return error.exitCode;
    }
    if (error instanceof DaemonUnavailableError) {
      process.stderr.write(`warden: ${error.message}\n  start it with: warden daemon\n`);
      return ExitCode.daemonUnavailable;
    }
    if (error instanceof ApiClientError) {
      process.stderr.write(`warden: ${error.message}\n`);
      for (const e of error.details.errors ?? []) process.stderr.write(`  ${formatPolicyError(e)}\n`);
      for (const c of error.details.conflicts ?? []) {
        process.stderr.write(
          `  ${c.layer} ${c.source}: ${c.path}: ${c.message}\n    (${c.organisationRule})\n`,
        );
      }
      if (error.hint) process.stderr.write(`  ${error.hint}\n`);
      return ExitCode.failed;
    }
    process.stderr.write(`warden: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.failed;
  }
}
