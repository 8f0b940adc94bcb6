// What an image is built from, as one digest, known before anything is built: the kernel
// package, the Warden layer (agent, init stages, inittab, environment, busybox), the pinned
// Node and npm, and for a full image the Debian recipe (packages, suite, mirror), for a
// minimal one the host binaries it copies. A build from the same recipe is reused instead of spending
// minutes on debootstrap (or the kernel's download and unpacking) again; new package
// versions need a fresh build (`warden image build` asks for one).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hostMirror, hostSuite } from './apt-sources.ts';
import { DEFAULT_PACKAGES } from './debian-rootfs.ts';
import { agentLauncher, inittab, profileScript, stage1Init, stage2Init } from './guest-files.ts';
import { GUEST_MODULES, KERNEL_META_PACKAGE, WORKSPACE_MODULES } from './guest-kernel.ts';
import { guestNodeRecipe } from './guest-node.ts';
import { parseKernelDepends, type RunCommand } from './host-tools.ts';

export function imageRecipe(
  kind: 'minimal' | 'full',
  run: RunCommand,
  o: {
    agentJs: Buffer;
    busyboxPath: string;
    kernelDeb?: string | undefined;
    /** minimal: the host binaries copied in besides busybox and Node (script, curl). */
    hostBinaries?: string[];
  },
): string {
  // The kernel package's name (linux-image-ABI-amd64), from the .deb at hand or from apt.
  const kernel = o.kernelDeb
    ? path.basename(o.kernelDeb).split('_')[0]!
    : (parseKernelDepends(run('apt-cache', ['depends', KERNEL_META_PACKAGE]).stdout, KERNEL_META_PACKAGE) ??
      'unknown');
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  const common = [
    guestNodeRecipe(),
    kernel,
    GUEST_MODULES.join(' '),
    WORKSPACE_MODULES.join(' '),
    sha(o.agentJs),
    sha(readFileSync(o.busyboxPath)),
    sha(stage1Init(['m'], ['w']) + stage2Init() + inittab() + profileScript() + agentLauncher()),
  ];
  if (kind === 'minimal') {
    const binaries = (o.hostBinaries ?? []).map((p) => `${path.basename(p)} ${sha(readFileSync(p))}`);
    return sha(['minimal/1', ...common, ...binaries].join('\n'));
  }
  const suite = hostSuite();
  return sha(['full/2', ...common, DEFAULT_PACKAGES.join(' '), suite, hostMirror(suite).mirror].join('\n'));
}
