// The daemon's VM side: the guest images, the managed agents' store, and the sandbox VMs on
// the QEMU microvm driver (sandboxes start from a saved booted guest once one is built,
// vm/vm-template.ts), or on the driver the options give (tests' fake: no QEMU).

import path from 'node:path';
import { AgentStore } from '../agents/index.ts';
import { ImageStore, VmSandboxes, type VmSandboxesDeps } from '../sandboxes/index.ts';
import type { TaskBoard } from '../tasks/index.ts';
import { QemuMicrovmDriver } from '../vm/index.ts';
import type { DaemonOptions } from './daemon-options.ts';
import type { SecretsSeam } from './secrets-seam.ts';

export interface VmWiring {
  images: ImageStore;
  agents: AgentStore;
  vms: VmSandboxes;
}

export interface VmWiringDeps extends Pick<VmSandboxesDeps, 'sandboxes' | 'caPem' | 'emit' | 'log' | 'user'> {
  home: string;
  runDir: string;
  tasks: TaskBoard;
  secrets: SecretsSeam;
}

/** Builds the images, the agents' store (its folder made) and the VM sandboxes. */
export function wireVms(opts: DaemonOptions, d: VmWiringDeps): VmWiring {
  const images = new ImageStore(path.join(d.home, 'images'), (m) => d.log.info(`image: ${m}`), {
    tasks: { board: d.tasks, user: d.user },
    ...(opts.defaultImage ? { defaultName: opts.defaultImage } : {}),
    ...(opts.imageBuildCommand ? { buildCommand: opts.imageBuildCommand } : {}),
  });
  const agents = new AgentStore(path.join(d.home, 'agents'));
  agents.ensure();
  const vms = new VmSandboxes({
    agents,
    homes: { dir: path.join(d.home, 'homes'), secretsIn: (data) => d.secrets.valuesIn(data) },
    sandboxes: d.sandboxes,
    driver:
      opts.vmDriver ??
      new QemuMicrovmDriver({
        runDir: d.runDir,
        ...(opts.vmTemplates === false ? {} : { templatesDir: path.join(d.home, 'vm-templates') }),
        log: (message, fields) => d.log.info(message, fields),
        probeImage: () => images.forProbe(),
        ...(opts.accel ? { forceAccel: opts.accel } : {}),
        ...(opts.qemuBinary ? { qemuBinary: opts.qemuBinary } : {}),
      }),
    images,
    caPem: d.caPem,
    emit: d.emit,
    log: d.log,
    user: d.user,
    poolSize: opts.poolSize ?? 1,
    tasks: { board: d.tasks },
  });
  return { images, agents, vms };
}
