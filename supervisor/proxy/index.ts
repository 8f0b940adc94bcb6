export type {
  ConnectionOwner,
  HeaderMap,
  Logger,
  ProxyServices,
  ResponseRedactor,
  SandboxContext,
  SecretApplyResult,
  SecretInjector,
} from './context.ts';
export { PROXY_USER, ProxyCredential } from './credential.ts';
export { ProxyListener } from './listener.ts';
export type { ResolvedAddress } from './resolver.ts';
export { parseResolveOverrides, Resolver } from './resolver.ts';
export type { LoadedTrust, TrustInputs } from './trust-stores.ts';
export { loadTrustStores, SYSTEM_CA_BUNDLES, TrustStoreError } from './trust-stores.ts';
export { UpstreamPool, UpstreamTrust } from './upstream.ts';
