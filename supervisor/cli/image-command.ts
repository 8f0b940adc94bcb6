// `warden image build|ls`: the guest images in $WARDEN_HOME/images. Local: no daemon needed.

import path from 'node:path';
import { Command } from 'commander';
import { buildMinimalImage, listImages } from '../vm/index.ts';
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
    .description('Build the minimal guest image (Debian kernel, busybox, Node, curl, the Warden agent).')
    .option('--no-curl', 'leave curl out')
    .action(async (opts: { curl: boolean }) => {
      const dir = imagesDir();
      try {
        const built = await buildMinimalImage({
          imagesDir: dir,
          withCurl: opts.curl,
          log: (m) => process.stderr.write(`image: ${m}\n`),
        });
        process.stderr.write(
          `image: ${built.reused ? 'already built' : 'built'} in ${(built.buildMs / 1000).toFixed(1)} s, ${mib(built.sizeBytes)}\n`,
        );
        process.stdout.write(`${built.image.id}\n`);
      } catch (error) {
        throw new CliError(
          `building the guest image failed: ${(error as Error).message}`,
          ExitCode.environment,
          'it needs apt-get (Debian packages), busybox-static, curl and util-linux; see: warden doctor',
        );
      }
    });
  image
    .command('ls')
    .description('List the guest images, newest (the default) first.')
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
          `${m.id.slice(0, 12)}  ${m.name}  kernel ${m.kernel.version}  ${mib(m.kernel.size + m.initrd.size)}  built ${m.builtAt}\n`,
        );
      }
    });
  return image;
}
