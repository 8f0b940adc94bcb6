// `warden rule add SANDBOX ...`: add a rule to a running sandbox's session layer.

import { Command, Option } from 'commander';
import { formatDiff } from '../policy/index.ts';
import { connect, printJson } from './connect.ts';

export function ruleCommand(): Command {
  const cmd = new Command('rule').description('Change the session rules of a running sandbox.');
  cmd
    .command('add')
    .description("Add a rule in front of the sandbox's session layer (newest rules win).")
    .argument('<sandbox>', 'the sandbox id (see: warden ps)')
    .requiredOption('--match <pattern>', 'host, *.host, **.host, CIDR, optionally with scheme:// and :port')
    .option('--method <method...>', 'HTTP methods')
    .option('--path <glob...>', 'path globs')
    .addOption(
      new Option('--action <action>', 'what to do').choices(['allow', 'deny', 'ask']).makeOptionMandatory(),
    )
    .option('--json', 'print JSON')
    .action(
      async (
        sandbox: string,
        opts: {
          match: string;
          method?: string[];
          path?: string[];
          action: 'allow' | 'deny' | 'ask';
          json?: boolean;
        },
      ) => {
        const result = await (await connect()).call('POST /v1/sandboxes/:sandboxId/rules', {
          params: { sandboxId: sandbox },
          body: {
            rule: {
              match: opts.match,
              ...(opts.method ? { methods: opts.method } : {}),
              ...(opts.path ? { paths: opts.path } : {}),
            },
            action: opts.action,
          },
        });
        if (opts.json) return printJson(result);
        process.stdout.write(`${formatDiff(result.diff)}\n`);
      },
    );
  return cmd;
}
