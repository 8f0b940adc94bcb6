// `warden run`: a new microVM sandbox for one command. Its output streams, stdin passes
// through, its exit code is warden's, and the sandbox is removed after (unless --keep).
// The first run on a machine builds the guest image, showing progress.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CreateSandboxRequest, ImageView } from '../api/index.ts';
import type { ApiClient } from '../client/api-client.ts';
import { loadPreset, presetNames, presetNeeds } from '../policy/presets/index.ts';
import { defaultImageName, imageBuildHint, imageKind } from '../vm/image/kinds.ts';
import { MAX_DISK_MIB, MIN_DISK_MIB, parseDiskSize } from '../vm/sandbox-disk.ts';
import { addAgent } from './agent-command.ts';
import { attach } from './attach.ts';
import { cliPaths, connectOrStartWith } from './connect.ts';
import { CliError, ExitCode } from './exit-codes.ts';
import { needsNodeCli } from './hand-over.ts';
import { NoSpaceWatch, noSpaceHint } from './no-space-watch.ts';
import { parseStopTimeout, STOP_TIMEOUT_HELP } from './signal-forwarding.ts';

interface RunOptions {
  policy?: string;
  preset?: string;
  image?: string;
  cpus?: number;
  memory?: number;
  disk?: number;
  agent: string[];
  agentHome?: boolean;
  workspace?: string;
  readOnly?: boolean;
  include: string[];
  secret: string[];
  keep?: boolean;
  cold?: boolean;
  label?: string;
  tty?: boolean;
  stopTimeout: number;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseCpus(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected 1 to 64');
  return n;
}

/** `512`, `512M`, `512MiB`, `2G`, `2GiB` → MiB. */
export function parseMemory(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(m|mb|mib|g|gb|gib)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a size such as 512M or 2G');
  const n = Number(m[1]) * (/^g/i.test(m[2] ?? 'm') ? 1024 : 1);
  if (!Number.isInteger(n) || n < 256) throw new InvalidArgumentError('at least 256M, in whole MiB');
  return n;
}

/** `8G`, `512M`, `0` (the writable layer in RAM) → MiB. */
export function parseDisk(value: string): number {
  const n = parseDiskSize(value);
  if (n === undefined) throw new InvalidArgumentError('expected a size such as 8G or 512M (0: in RAM)');
  if (n !== 0 && (n < MIN_DISK_MIB || n > MAX_DISK_MIB))
    throw new InvalidArgumentError(`from ${MIN_DISK_MIB}M to ${MAX_DISK_MIB / 1024 / 1024}T, or 0 for RAM`);
  return n;
}

/** The agents the run names (--agent, and the preset's), installed on first use with progress. */
async function ensureAgents(
  client: ApiClient,
  opts: RunOptions,
  say: (line: string) => void,
): Promise<string[]> {
  const preset = opts.preset ? presetNeeds(opts.preset)?.agent : undefined;
  const wanted = [...new Set([...(preset ? [preset] : []), ...opts.agent])];
  if (wanted.length === 0) return [];
  const installed = await client.call('GET /v1/agents');
  for (const spec of wanted) {
    const [name, version] = spec.startsWith('@') ? [spec, undefined] : spec.split('@');
    if (!installed.some((a) => a.name === name && (version === undefined || a.version === version))) {
      await needsNodeCli(`install the agent ${spec}`);
      await addAgent(client, spec, { say });
    }
  }
  return wanted;
}

/** --cpus and --memory, else what the preset's agent needs, else the daemon's defaults. */
function sizeFrom(opts: RunOptions): { cpus?: number; memoryMiB?: number } {
  const needs = opts.preset ? presetNeeds(opts.preset) : undefined;
  const cpus = opts.cpus ?? needs?.cpus;
  const memoryMiB = opts.memory ?? needs?.memoryMiB;
  return { ...(cpus ? { cpus } : {}), ...(memoryMiB ? { memoryMiB } : {}) };
}

/** The project policy file and the preset, each a layer of the sandbox's policy (the preset under the file). */
async function policiesFrom(opts: RunOptions): Promise<Pick<CreateSandboxRequest, 'policy' | 'preset'>> {
  const out: Pick<CreateSandboxRequest, 'policy' | 'preset'> = {};
  if (opts.preset) {
    const preset = loadPreset(opts.preset);
    if (!preset) {
      throw new CliError(
        `no preset ${JSON.stringify(opts.preset)}`,
        ExitCode.usage,
        `presets: ${presetNames().join(', ')}`,
      );
    }
    out.preset = preset;
  }
  if (opts.policy) {
    const source = path.resolve(opts.policy);
    try {
      out.policy = { yaml: await readFile(source, 'utf8'), source };
    } catch (error) {
      throw new CliError(
        `cannot read the policy ${source}: ${(error as NodeJS.ErrnoException).code}`,
        ExitCode.environment,
      );
    }
  }
  return out;
}

/**
 * The first run on a machine: build the image this run needs (the default one, or a kind
 * asked by name) here, where progress can be shown, rather than silently in the daemon.
 */
export async function ensureImage(
  client: ApiClient,
  name: string,
  say: (line: string) => void,
  images?: ImageView[],
): Promise<void> {
  const kind = imageKind(name);
  if (!kind) return; // an id or a custom name: the daemon says if it is missing
  const known = (i: { id: string; name: string }) => i.name === name;
  if ((images ?? (await client.call('GET /v1/images'))).some(known)) return;
  await needsNodeCli(`build the ${kind} image`);
  // The image code loads only here: a run whose image exists does not pay for it at start-up.
  const { buildImage, listImages } = await import('../vm/index.ts');
  const imagesDir = path.join(cliPaths().home, 'images');
  if (listImages(imagesDir).some(({ manifest }) => known(manifest))) return;
  const how =
    kind === 'full' ? 'a Debian userland, first run only; a few minutes' : 'first run only; about 15 s';
  say(`warden: no ${kind} guest image yet: building it (${how})`);
  try {
    const built = await buildImage({ imagesDir, kind, log: (m) => say(`  image: ${m}`) });
    say(`warden: image ${built.image.id.slice(0, 12)} ready in ${(built.buildMs / 1000).toFixed(1)} s`);
  } catch (error) {
    throw new CliError(
      `building the ${kind} guest image failed: ${(error as Error).message}`,
      ExitCode.environment,
      imageBuildHint(kind),
    );
  }
}

export function runCommand(): Command {
  return new Command('run')
    .description(
      'Run a command in a new microVM sandbox whose only way out is the governed proxy. ' +
        'Output streams, stdin passes through, and warden exits with the command’s exit code.',
    )
    .option('--policy <file>', 'project policy (layered over the preset and $WARDEN_HOME/policy.yaml)')
    .option(
      '--preset <name>',
      `a policy preset (${presetNames().join(', ')}), layered under --policy when both are given`,
    )
    .option('--image <name>', 'guest image id (or prefix) or name (default: $WARDEN_IMAGE, else full)')
    .addOption(new Option('--cpus <n>', 'virtual CPUs (default 1)').argParser(parseCpus))
    .addOption(
      new Option('--memory <size>', 'guest RAM, e.g. 512M or 2G (default 512M)').argParser(parseMemory),
    )
    .addOption(
      new Option(
        '--disk <size>',
        'the sandbox’s writable disk, sparse, removed with it, e.g. 16G (default 8G; 0: in RAM)',
      ).argParser(parseDisk),
    )
    .option(
      '--agent <name>',
      'put a managed agent on PATH (repeatable; installed first if needed; a preset adds its own)',
      collect,
      [],
    )
    .option(
      '--agent-home',
      'keep the agent’s settings and history (~/.claude, ~/.codex) per project, in $WARDEN_HOME/homes (needs --workspace)',
    )
    .option('--workspace <dir>', 'share this folder as /workspace')
    .option('--read-only', 'share the workspace read-only')
    .option(
      '--include <file>',
      'share a secret-looking file of the workspace anyway (repeatable)',
      collect,
      [],
    )
    .option('--secret <name>', 'a secret the sandbox may use, as a placeholder (repeatable)', collect, [])
    .option('--keep', 'keep the sandbox after the command (remove it with: warden stop ID)')
    .option('--cold', 'boot a new VM even when the warm pool has one')
    .option('--label <label>', 'a name for the sandbox (default: the command)')
    .option('--no-tty', 'no PTY even when attached to a terminal')
    .addOption(
      new Option('--stop-timeout <seconds>', `${STOP_TIMEOUT_HELP} before the sandbox is stopped`)
        .default(10)
        .argParser(parseStopTimeout),
    )
    .argument('<command...>', 'the command and its arguments (after --)')
    .addHelpText('after', '\nExample:\n  warden run --preset node --workspace . -- npm test')
    .action(async (command: string[], opts: RunOptions) => {
      if (opts.readOnly && !opts.workspace)
        throw new CliError('--read-only needs --workspace', ExitCode.usage);
      if (opts.agentHome && !opts.workspace)
        throw new CliError('--agent-home needs --workspace (the home is kept per project)', ExitCode.usage);
      if (opts.include.length > 0 && !opts.workspace)
        throw new CliError('--include needs --workspace', ExitCode.usage);
      const policies = await policiesFrom(opts);
      const say = (line: string) => process.stderr.write(`${line}\n`);
      // The image list is the first request: it finds the daemon and answers ensureImage.
      const { client, first: images } = await connectOrStartWith(
        (c) => c.call('GET /v1/images', { timeoutMs: 5_000 }),
        undefined,
        say,
      );
      const image = opts.image ?? defaultImageName();
      await ensureImage(client, image, say, images);
      const agents = await ensureAgents(client, opts, say);
      const req: CreateSandboxRequest = {
        label: opts.label ?? path.basename(command[0] ?? 'sandbox'),
        secrets: opts.secret,
        ...policies,
        image,
        ...sizeFrom(opts),
        ...(agents.length > 0 ? { agents } : {}),
        ...(opts.agentHome ? { agentHome: true } : {}),
        ...(opts.disk !== undefined ? { diskMiB: opts.disk } : {}),
        ...(opts.cold ? { warm: false } : {}),
        ...(opts.workspace
          ? {
              workspace: {
                path: path.resolve(opts.workspace),
                readOnly: Boolean(opts.readOnly),
                ...(opts.include.length ? { include: opts.include } : {}),
              },
            }
          : {}),
      };
      const { sandbox } = await client.call('POST /v1/sandboxes', { body: req, timeoutMs: 600_000 });
      const id = sandbox.sandboxId;
      let code: number;
      const noSpace = new NoSpaceWatch();
      try {
        // Without --keep the command owns the sandbox: the daemon removes it when the
        // command ends, so warden exits without waiting for the VM to power off.
        code = await attach(client, id, {
          argv: command,
          ...(opts.workspace ? { cwd: '/workspace' } : {}),
          ...(opts.tty === false ? { tty: false } : {}),
          remove: !opts.keep,
          stopTimeoutMs: opts.stopTimeout * 1000,
          watch: noSpace.feed,
          // With --keep the command is killed and the sandbox stays.
          ...(opts.keep
            ? {}
            : {
                stop: async () => {
                  await client
                    .call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: id }, timeoutMs: 30_000 })
                    .catch((error: Error) => {
                      // The killed command's end may have removed it already.
                      if (error.name !== 'NotFound') throw error;
                    });
                },
              }),
        });
      } catch (error) {
        // The command may never have started (so nothing owns the sandbox): remove it here.
        if (!opts.keep) {
          await client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: id } }).catch(() => {});
        }
        throw error;
      }
      if (code !== 0 && noSpace.seen) say(noSpaceHint(opts.disk));
      if (opts.keep) say(`warden: sandbox ${id} kept (warden shell ${id}; warden stop ${id})`);
      process.exitCode = code;
    });
}
