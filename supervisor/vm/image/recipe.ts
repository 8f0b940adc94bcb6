// What a full image is built from, as one digest, known before anything is built: the
// kernel package, the Warden layer (agent, init stages, inittab, environment, busybox),
// the pinned Node and npm, and the Debian recipe (packages, suite, mirror). A build from the same recipe is reused
// instead of spending minutes on debootstrap again (new package versions need a fresh build).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hostMirror, hostSuite } from './apt-sources.ts';
import { DEFAULT_PACKAGES } from './debian-rootfs.ts';
import { agentLauncher, inittab, profileScript, stage1Init, stage2Init } from './guest-files.ts';
import { GUEST_MODULES, KERNEL_META_PACKAGE, WORKSPACE_MODULES } from './guest-kernel.ts';
import { guestNodeRecipe } from './guest-node.ts';
import { parseKernelDepends, type RunCommand } from './host-tools.ts';

export function fullRecipe(
  run: RunCommand,
  o: { agentJs: Buffer; busyboxPath: string; kernelDeb?: string | undefined },
): string {
  // The kernel package's name (linux-image-ABI-amd64), from the .deb at hand or from apt.
  const kernel = o.kernelDeb
    ? path.basename(o.kernelDeb).split('_')[0]!
    : (parseKernelDepends(run('apt-cache', ['depends', KERNEL_META_PACKAGE]).stdout, KERNEL_META_PACKAGE) ??
      'unknown');
  const suite = hostSuite();
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  const parts = [
    'full/2',
    guestNodeRecipe(),
    kernel,
    GUEST_MODULES.join(' '),
    WORKSPACE_MODULES.join(' '),
    sha(o.agentJs),
    sha(readFileSync(o.busyboxPath)),
    sha(stage1Init(['m'], ['w']) + stage2Init() + inittab() + profileScript() + agentLauncher()),
    DEFAULT_PACKAGES.join(' '),
    suite,
    hostMirror(suite).mirror,
  ];
  return sha(parts.join('\n'));
}
