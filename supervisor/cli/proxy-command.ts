// `warden proxy`: a governed listener for a process on the host (no VM), through the
// running daemon (started if needed), so approvals, secrets and audit work as for a sandbox.

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { connect, connectOrStart, printJson } from './connect.ts';
import { CliError, ExitCode } from './exit-codes.ts';
import { parseStopTimeout, REPEAT_WINDOW_MS, STOP_TIMEOUT_HELP, signalNumber } from './signal-forwarding.ts';

/** What host mode does not protect, for `warden proxy --help` (README's security section says the same). */
const HOST_MODE_LIMITS = `
Host mode is not a sandbox. The command runs as the same user as Warden, on this
machine: it gets placeholders in its environment, never a secret's value, and its
traffic through the proxy is decided, injected and audited. But it can read anything
you can, $WARDEN_HOME included (the vault and its key, the API token, the audit
trail), so a process that means harm can decrypt the secrets, answer its own
approvals, change the policy, or connect out without the proxy. Host mode governs a
tool you trust not to attack you; for an agent you do not trust, use a sandbox:
warden run (a microVM that holds no secret and has no other way out).`;

/** This environment without Warden's own settings (WARDEN_HOME and friends): the child needs none. */
function withoutWardenSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^WARDEN_/i.test(name)));
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

interface ProxyOptions {
  policy?: string;
  port?: number;
  secret?: string[];
  label?: string;
  json?: boolean;
  rm?: string;
  stopTimeout: number;
}

export function proxyCommand(): Command {
  return new Command('proxy')
    .description(
      'Give a host process a governed proxy. Without a command, print the environment to export ' +
        '(eval "$(warden proxy --policy p.yaml)"); with one, run it through the proxy and remove the listener after. ' +
        "The proxy URL (HTTP_PROXY) carries the listener's credential: only a client that has it can use the " +
        'listener (others get 407), so keep that environment to the process.',
    )
    .option('--policy <file>', 'project policy for this listener (layered over $WARDEN_HOME/policy.yaml)')
    .addOption(
      new Option('--port <n>', 'listen on this loopback port (default: any free one)').argParser(Number),
    )
    .option('--secret <name...>', 'secrets this process may use (it gets placeholders, never values)')
    .option('--label <label>', 'a name for this listener in approvals and audit', 'proxy')
    .option('--rm <sandbox>', 'remove a listener created earlier')
    .option('--json', 'print JSON')
    .addOption(
      new Option('--stop-timeout <seconds>', `${STOP_TIMEOUT_HELP} before it is killed`)
        .default(10)
        .argParser(parseStopTimeout),
    )
    .argument('[command...]', 'a command to run through the proxy (after --)')
    .addHelpText('after', HOST_MODE_LIMITS)
    .action(async (command: string[], opts: ProxyOptions) => {
      if (opts.rm) {
        await (await connect()).call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: opts.rm } });
        if (!opts.json) process.stdout.write(`removed ${opts.rm}\n`);
        else printJson({ removed: opts.rm });
        return;
      }
      let policy: { yaml: string; source: string } | undefined;
      if (opts.policy) {
        const source = path.resolve(opts.policy);
        try {
          policy = { yaml: await readFile(source, 'utf8'), source };
        } catch (error) {
          throw new CliError(
            `cannot read the policy ${source}: ${(error as NodeJS.ErrnoException).code}`,
            ExitCode.environment,
          );
        }
      }
      const client = await connectOrStart(undefined, (l) => process.stderr.write(`${l}\n`));
      const created = await client.call('POST /v1/sandboxes', {
        body: {
          kind: 'host',
          label: opts.label,
          ...(policy ? { policy } : {}),
          ...(opts.port !== undefined ? { port: opts.port } : {}),
          secrets: opts.secret ?? [],
        },
      });
      const { sandbox, env = {} } = created;
      const id = sandbox.sandboxId;
      if (command.length === 0) {
        if (opts.json) return printJson(created);
        const lines = Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
        const at = sandbox.kind === 'host' ? ` at ${sandbox.proxyUrl}` : '';
        lines.push(`# Warden listener ${id}${at}; remove it with: warden proxy --rm ${id}`);
        process.stdout.write(`${lines.join('\n')}\n`);
        return;
      }
      const [file, ...args] = command as [string, ...string[]];
      const child = spawn(file, args, {
        stdio: 'inherit',
        env: { ...withoutWardenSettings(process.env), ...env },
      });
      // The first signal is forwarded; after the grace period, or at a second one, the
      // command is killed and we exit with 128+signal (so `timeout` can end a run).
      let forwarded: NodeJS.Signals | undefined;
      let forwardedAt = 0;
      let killedFor: NodeJS.Signals | undefined;
      let grace: NodeJS.Timeout | undefined;
      const killNow = (signal: NodeJS.Signals, why: string) => {
        if (killedFor) return;
        killedFor = signal;
        clearTimeout(grace);
        process.stderr.write(`\nwarden: ${why}: killing it\n`);
        child.kill('SIGKILL');
      };
      const forward = (signal: NodeJS.Signals) => {
        if (forwarded && Date.now() - forwardedAt < REPEAT_WINDOW_MS) return;
        if (forwarded) return killNow(signal, `${signal} again and ${file} is still running`);
        forwarded = signal;
        forwardedAt = Date.now();
        child.kill(signal);
        grace = setTimeout(
          () =>
            killNow(
              signal,
              `${file} did not exit within ${opts.stopTimeout} s of ${signal} (--stop-timeout)`,
            ),
          opts.stopTimeout * 1000,
        );
      };
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
      for (const s of signals) process.on(s, forward);
      const code = await new Promise<number>((resolve) => {
        child.once('error', (error: NodeJS.ErrnoException) => {
          process.stderr.write(`warden: cannot run ${file}: ${error.code ?? error.message}\n`);
          resolve(127);
        });
        child.once('exit', (c, signal) => {
          if (killedFor) resolve(128 + signalNumber(killedFor));
          else resolve(c ?? (signal ? 128 + signalNumber(signal) : 1));
        });
      });
      clearTimeout(grace);
      for (const s of signals) process.off(s, forward);
      await client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: id } }).catch(() => {});
      process.exitCode = code;
    });
}
