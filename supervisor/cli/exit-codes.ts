// Exit codes scripts can rely on. Documented in README.md.
export const ExitCode = {
  ok: 0,
  /** The command ran and the answer is "no": invalid policy, broken chain, denied. */
  failed: 1,
  /** The command line itself is wrong. */
  usage: 2,
  /** The daemon could not be reached or started. */
  daemonUnavailable: 3,
  /** Something outside Warden failed (file unreadable, port busy). */
  environment: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error a command raises to end with a message and a specific exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly hint?: string;
  constructor(message: string, exitCode: ExitCode = ExitCode.failed, hint?: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.hint = hint;
  }
}
