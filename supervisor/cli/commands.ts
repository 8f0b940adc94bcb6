// Every top-level `warden` command, one factory each. A factory returns a commander
// Command; main.ts adds them to the program in this order.
import type { Command } from 'commander';

export type CommandFactory = () => Command;

export const commandFactories: CommandFactory[] = [];
