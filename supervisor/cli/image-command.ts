// `warden image build|ls`: the guest images in $WARDEN_HOME/images. Local: no daemon needed.

import path from 'node:path';
import { Command } from 'commander';
import {
  buildImage,
  defaultImageName,
  IMAGE_KINDS,
  type ImageKind,
  imageBuildHint,
  imageKind,
  imageSize,
  listImages,
} from '../vm/index.ts';
import { cliPaths, printJson } from './connect.ts';
import { CliError, ExitCode } from './exit-codes.ts';

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

export function imagesDir(): string {
  return path.join(cliPaths().home, 'images');
}

export function imageCommand(): Command {
  const image = new Command('image').description('Build and list guest images.');
  image
    .command('build')
    .description(
      'Build a guest image: "full" (a Debian userland from debootstrap: node, npm, git, curl, python3, ' +
        'CA certificates; needs root) or "minimal" (busybox, Node, curl; fast). Both get Debian’s kernel ' +
        'and the Warden agent.',
    )
    .argument('[kind]', `${IMAGE_KINDS.join(' or ')} (default: $WARDEN_IMAGE, else full)`)
    .option('--no-curl', 'minimal: leave curl out')
    .option('--images <dir>', 'build into this folder (default: $WARDEN_HOME/images)')
    .action(async (kindArg: string | undefined, opts: { curl: boolean; images?: string }) => {
      const dir = opts.images ? path.resolve(opts.images) : imagesDir();
      const asked = kindArg ?? (imageKind(defaultImageName()) ? defaultImageName() : 'full');
      const kind: ImageKind | undefined = imageKind(asked);
      if (!kind)
        throw new CliError(`unknown image kind ${asked}: use ${IMAGE_KINDS.join(' or ')}`, ExitCode.usage);
      try {
        const built = await buildImage({
          imagesDir: dir,
          kind,
          withCurl: opts.curl,
          reuse: false, // asked for by name: build afresh (newer Debian packages)
          log: (m) => process.stderr.write(`image: ${m}\n`),
        });
        process.stderr.write(
          `image: ${built.reused ? 'already built' : 'built'} in ${(built.buildMs / 1000).toFixed(1)} s, ${mib(built.sizeBytes)}\n`,
        );
        process.stdout.write(`${built.image.id}\n`);
      } catch (error) {
        throw new CliError(
          `building the ${kind} guest image failed: ${(error as Error).message}`,
          ExitCode.environment,
          imageBuildHint(kind),
        );
      }
    });
  image
    .command('ls')
    .description('List the guest images, newest first.')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const list = listImages(imagesDir());
      if (opts.json) return printJson(list.map((i) => ({ dir: i.dir, ...i.manifest })));
      if (list.length === 0) {
        process.stdout.write(`no images in ${imagesDir()} (build one with: warden image build)\n`);
        return;
      }
      for (const { manifest: m } of list) {
        process.stdout.write(
          `${m.id.slice(0, 12)}  ${m.name}  kernel ${m.kernel.version}  ${mib(imageSize(m))}  built ${m.builtAt}\n`,
        );
      }
    });
  return image;
}
