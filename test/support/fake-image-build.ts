// A stand-in for `warden image build` (the daemon's imageBuildCommand) for tests of what the
// user sees while an image is built: it prints a step, then holds until the test releases it
// (a file appears), then writes the same image folder fakeImage() makes and prints its id,
// as the real build does. Bounded: without a release within 60 s it fails.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ImageBuildCommand } from '../../supervisor/sandboxes/images.ts';

const SCRIPT = `
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const [kind, dir, release] = process.argv.slice(2);
const sha = (s) => createHash('sha256').update(s).digest('hex');
process.stderr.write('image: downloading the kernel\\n');
const started = Date.now();
const wait = setInterval(() => {
  if (Date.now() - started > 60000) { process.stderr.write('image: never released\\n'); process.exit(5); }
  if (!fs.existsSync(release)) return;
  clearInterval(wait);
  process.stderr.write('image: making the root filesystem\\n');
  const kernel = sha('fake kernel ' + kind);
  const initrd = sha('fake initrd ' + kind);
  const id = sha(kernel + '\\n' + initrd + '\\n');
  const manifest = { format: 2, id, name: kind, kernel: { file: 'vmlinux', sha256: kernel, size: 1, version: 'fake' },
    initrd: { file: 'initrd.cpio', sha256: initrd, size: 1 }, agent: 'fake', protocol: 1, builtAt: new Date().toISOString() };
  fs.mkdirSync(path.join(dir, id), { recursive: true });
  fs.writeFileSync(path.join(dir, id, 'manifest.json'), JSON.stringify(manifest));
  console.log(id);
}, 50);
`;

export interface HeldImageBuild {
  command: ImageBuildCommand;
  /** Lets the build finish. */
  release(): void;
}

export function heldImageBuild(dir: string): HeldImageBuild {
  const script = path.join(dir, 'held-image-build.cjs');
  const releaseFile = path.join(dir, 'release-image-build');
  writeFileSync(script, SCRIPT);
  return {
    command: (kind, imagesDir) => [process.execPath, script, kind, imagesDir, releaseFile],
    release: () => writeFileSync(releaseFile, 'go'),
  };
}
