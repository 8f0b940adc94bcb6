// `warden hub policy set FILE [--group G]` (sign and store the organisation policy devices
// fetch on their next heartbeat), `warden hub policy ls`, and `warden hub device group ID G`.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ALL_DEVICES, type HubPolicies, type HubService } from '../hub/index.ts';
import { printJson } from './connect.ts';
import { CliError, ExitCode } from './exit-codes.ts';

interface Common {
  home: string;
  db?: string;
}

export interface HubCliParts {
  withCommon: (cmd: Command) => Command;
  withHub: <T>(o: Common, fn: (service: HubService) => Promise<T>) => Promise<T>;
  asCliError: (error: unknown) => unknown;
}

function policiesOf(service: HubService): HubPolicies {
  if (!service.policies) throw new CliError('this hub has no policy store', ExitCode.environment);
  return service.policies;
}

export function hubPolicyCommand(parts: HubCliParts): Command {
  const { withCommon, withHub, asCliError } = parts;
  const policy = new Command('policy').description('The organisation policy pushed to devices');
  policy.addCommand(
    withCommon(new Command('set'))
      .description('Sign a policy with the hub key and push it (devices apply it on their next heartbeat)')
      .argument('<file>', 'the policy YAML (warden policy check FILE)')
      .option('--group <group>', 'only devices in this group (warden hub device group)', ALL_DEVICES)
      .action(async (file: string, o: Common & { group: string }) => {
        let yaml: string;
        try {
          yaml = readFileSync(file, 'utf8');
        } catch (error) {
          throw new CliError(`cannot read ${file}: ${(error as Error).message}`, ExitCode.usage);
        }
        await withHub(o, async (service) => {
          try {
            const stored = await policiesOf(service).set(yaml, o.group, service.log.signer, service.now());
            const to = stored.group === ALL_DEVICES ? 'every device' : `group ${stored.group}`;
            process.stdout.write(`policy serial ${stored.serial} for ${to}: ${stored.hash}\n`);
          } catch (error) {
            throw asCliError(error);
          }
        });
      }),
  );
  policy.addCommand(
    withCommon(new Command('ls'))
      .description('List the policies pushed, newest first')
      .option('--json', 'print JSON')
      .action(async (o: Common & { json?: boolean }) => {
        await withHub(o, async (service) => {
          const all = await policiesOf(service).list();
          if (o.json) return printJson(all.map(({ yaml: _y, note: _n, ...rest }) => rest));
          for (const p of all) {
            process.stdout.write(
              `serial ${p.serial}  group ${p.group}  ${p.hash}  ${new Date(p.created).toISOString()}\n`,
            );
          }
          if (all.length === 0) process.stdout.write('no policy pushed (warden hub policy set FILE)\n');
        });
      }),
  );
  return policy;
}

/** `warden hub device group ID G`. */
export function deviceGroupCommand(parts: HubCliParts): Command {
  const { withCommon, withHub, asCliError } = parts;
  return withCommon(new Command('group'))
    .description("Put a device in a group (it gets the group's policy, else the one for every device)")
    .argument('<id>', 'the device id (warden hub device ls)')
    .argument('<group>', 'the group name')
    .action(async (id: string, group: string, o: Common) => {
      await withHub(o, async (service) => {
        if (!(await service.store.device(id)))
          throw new CliError(`no device ${id}`, ExitCode.failed, 'See warden hub device ls.');
        try {
          await policiesOf(service).setGroup(id, group);
        } catch (error) {
          throw asCliError(error);
        }
        process.stdout.write(`${id} is in group ${group}\n`);
      });
    });
}
