// Package-level control of what agents install (spec.packages): npm registry requests decoded,
// packuments rewritten, tarballs judged, the names seen on this device.

export { CACHE_VERSION_LIMIT, VersionCache } from './cache.ts';
export { compilePackageGlob } from './glob.ts';
export { type NpmRequest, parsePackageFilter, readNpmPath, validNpmName } from './npm-path.ts';
export {
  describeRemoved,
  factsOf,
  MAX_VERSIONS,
  type Removed,
  type Rewritten,
  rewritePackument,
  type VersionInfo,
  versionInfo,
} from './packument.ts';
export { preferProvenance, preferredWhy } from './provenance.ts';
export { type BodyRead, MAX_PACKUMENT_BYTES, readAnswer } from './read-body.ts';
export { ageText, NpmRules, npmRulesOf, PUBLIC_NPM_REGISTRY, type VersionVerdict } from './rules.ts';
export { SEEN_LIMIT, SeenPackages } from './seen.ts';
export {
  describeVersion,
  holdView,
  type NpmOpening,
  PackageService,
  type PackageServiceOptions,
  packageRef,
  packumentPath,
} from './service.ts';
