export type { WardenPaths } from './paths.ts';
export { defaultHome, ensureHome, wardenPaths } from './paths.ts';
