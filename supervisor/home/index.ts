export type { HomeFs, WardenPaths } from './paths.ts';
export { defaultHome, ensureHome, HomeModeError, wardenPaths } from './paths.ts';
