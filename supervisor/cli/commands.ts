// Every top-level `warden` command. Each module is loaded only when its command runs (or
// for the full --help), so a quick command does not pay for the daemon's dependencies.
import type { Command } from 'commander';

export type CommandFactory = () => Command;

export interface CommandModule {
  /** The top-level command names the module provides. */
  names: string[];
  load: () => Promise<CommandFactory[]>;
  /**
   * Once the command is done the process exits at once, not after Node drains its handles and
   * tears down (30-50 ms of a warm `warden run -- true`): the command leaves nothing to finish.
   */
  exitsWhenDone?: true;
}

export const commandModules: CommandModule[] = [
  { names: ['daemon'], load: async () => [(await import('./daemon-command.ts')).daemonCommand] },
  { names: ['status'], load: async () => [(await import('./status-command.ts')).statusCommand] },
  {
    names: ['run'],
    load: async () => [(await import('./run-command.ts')).runCommand],
    // The sandbox is the daemon's to remove once its command ended.
    exitsWhenDone: true,
  },
  {
    names: ['shell', 'ps', 'stop', 'logs'],
    load: async () => {
      const m = await import('./sandbox-commands.ts');
      return [m.shellCommand, m.psCommand, m.stopCommand, m.logsCommand];
    },
  },
  { names: ['agent'], load: async () => [(await import('./agent-command.ts')).agentCommand] },
  { names: ['tasks'], load: async () => [(await import('./tasks-command.ts')).tasksCommand] },
  { names: ['spend'], load: async () => [(await import('./spend-command.ts')).spendCommand] },
  { names: ['image'], load: async () => [(await import('./image-command.ts')).imageCommand] },
  { names: ['doctor'], load: async () => [(await import('./doctor-command.ts')).doctorCommand] },
  { names: ['proxy'], load: async () => [(await import('./proxy-command.ts')).proxyCommand] },
  {
    names: ['approvals', 'approve', 'deny'],
    load: async () => {
      const m = await import('./approvals-command.ts');
      return [m.approvalsCommand, m.approveCommand, m.denyCommand];
    },
  },
  { names: ['rule'], load: async () => [(await import('./rule-command.ts')).ruleCommand] },
  { names: ['secret'], load: async () => [(await import('./secret-command.ts')).secretCommand] },
  { names: ['policy'], load: async () => [(await import('./policy-command.ts')).policyCommand] },
  { names: ['audit'], load: async () => [(await import('./audit-command.ts')).auditCommand] },
  { names: ['hub'], load: async () => [(await import('./hub-command.ts')).hubCommand] },
  { names: ['export'], load: async () => [(await import('./export-command.ts')).exportCommand] },
  { names: ['sync'], load: async () => [(await import('./sync-command.ts')).syncCommand] },
  { names: ['ui'], load: async () => [(await import('./ui-command.ts')).uiCommand] },
];

/** The top-level command `argv` names, if any. */
function commandName(argv: readonly string[]): string | undefined {
  return argv.find((a) => !a.startsWith('-'));
}

/** Whether the process should exit as soon as `argv`'s command is done (CommandModule.exitsWhenDone). */
export function exitsWhenDone(argv: readonly string[]): boolean {
  const name = commandName(argv);
  return commandModules.some((m) => m.exitsWhenDone === true && name !== undefined && m.names.includes(name));
}

/** The factories needed for `argv`: just its command's module, or all of them. */
export async function factoriesFor(argv: readonly string[]): Promise<CommandFactory[]> {
  const name = commandName(argv);
  // `warden --version` needs no command.
  if (name === undefined && argv.some((a) => a === '-V' || a === '--version')) return [];
  const module = commandModules.find((m) => name !== undefined && m.names.includes(name));
  if (module) return module.load();
  return (await Promise.all(commandModules.map((m) => m.load()))).flat();
}
