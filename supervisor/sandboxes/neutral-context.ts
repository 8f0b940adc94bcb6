// The identity of a warm-pool listener before a sandbox takes it over: nobody's, and its
// policy denies everything (a pre-booted VM has no reason to reach anything).

import type { Policy } from '../policy/index.ts';
import { emptyPolicy, Policy as PolicyClass } from '../policy/index.ts';
import { ProxyCredential, type SandboxContext } from '../proxy/index.ts';

export function neutralContext(poolId: string, user: string): SandboxContext {
  const document = emptyPolicy(`warm pool ${poolId}`);
  document.spec.network = { default: 'deny', rules: [] };
  const policy: Policy = PolicyClass.resolve([{ layer: 'project', source: 'warm pool', document }]);
  return {
    identity: { sandboxId: poolId, user },
    policy: () => policy,
    secrets: () => [],
    policySource: () => undefined,
    // Given to nobody: the pool's VM gets its sandbox's credential only once adopted.
    proxyCredential: new ProxyCredential(),
  };
}
