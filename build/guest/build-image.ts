// Builds the minimal guest image (kernel + busybox/Node initramfs with the Warden agent).
//   node --import tsx build/guest/build-image.ts [--images DIR] [--no-curl]
// DIR defaults to $WARDEN_HOME/images. Prints the image folder, its size and build time.

import path from 'node:path';
import { defaultHome } from '../../supervisor/home/index.ts';
import { buildMinimalImage } from '../../supervisor/vm/index.ts';

const args = process.argv.slice(2);
let imagesDir = path.join(defaultHome(), 'images');
let withCurl = true;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--images') imagesDir = path.resolve(args[++i] ?? '');
  else if (a === '--no-curl') withCurl = false;
  else {
    console.error(`usage: build-image.ts [--images DIR] [--no-curl]  (unknown argument ${a})`);
    process.exit(2);
  }
}

const built = await buildMinimalImage({
  imagesDir,
  withCurl,
  log: (m) => console.error(`image: ${m}`),
});
const mb = (n: number): string => (n / 1024 / 1024).toFixed(1) + ' MiB';
console.error(
  `image: ${built.reused ? 'already built' : 'built'} ${built.image.id} in ${(built.buildMs / 1000).toFixed(1)} s ` +
    `(kernel ${mb(built.image.manifest.kernel.size)}, initrd ${mb(built.image.manifest.initrd.size)})`,
);
console.log(built.image.dir);
