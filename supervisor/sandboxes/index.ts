// VM sandboxes in the daemon: the manager, the warm pool, images, workspace checks and
// the API handlers for them.

export { vmHandlers, vmUpgrades } from './handlers.ts';
export { ImageStore } from './images.ts';
export { DEFAULT_CPUS, DEFAULT_MEMORY_MIB, VmSandboxes, type VmSandboxesDeps } from './vm-sandboxes.ts';
export { WarmPool } from './warm-pool.ts';
export { checkWorkspace, secretLookingFiles } from './workspace.ts';
