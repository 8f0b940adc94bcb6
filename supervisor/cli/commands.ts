// Every top-level `warden` command, one factory each. A factory returns a commander
// Command; program.ts adds them to the program in this order.
import type { Command } from 'commander';
import { approvalsCommand, approveCommand, denyCommand } from './approvals-command.ts';
import { auditCommand } from './audit-command.ts';
import { daemonCommand } from './daemon-command.ts';
import { doctorCommand } from './doctor-command.ts';
import { imageCommand } from './image-command.ts';
import { policyCommand } from './policy-command.ts';
import { proxyCommand } from './proxy-command.ts';
import { ruleCommand } from './rule-command.ts';
import { runCommand } from './run-command.ts';
import { logsCommand, psCommand, shellCommand, stopCommand } from './sandbox-commands.ts';
import { secretCommand } from './secret-command.ts';
import { statusCommand } from './status-command.ts';

export type CommandFactory = () => Command;

export const commandFactories: CommandFactory[] = [
  daemonCommand,
  statusCommand,
  runCommand,
  shellCommand,
  psCommand,
  stopCommand,
  logsCommand,
  imageCommand,
  doctorCommand,
  proxyCommand,
  approvalsCommand,
  approveCommand,
  denyCommand,
  ruleCommand,
  secretCommand,
  policyCommand,
  auditCommand,
];
