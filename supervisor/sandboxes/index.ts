// Sandboxes in the daemon, of both kinds (microVMs and host listeners): the VM manager,
// the warm pool, images, workspace checks, the catalog of both kinds and the API handlers.

export { SandboxCatalog } from './catalog.ts';
export { sandboxHandlers, vmUpgrades } from './handlers.ts';
export { ImageStore } from './images.ts';
export { DEFAULT_CPUS, DEFAULT_MEMORY_MIB, VmSandboxes, type VmSandboxesDeps } from './vm-sandboxes.ts';
export { WarmPool } from './warm-pool.ts';
export { checkWorkspace, secretLookingFiles } from './workspace.ts';
