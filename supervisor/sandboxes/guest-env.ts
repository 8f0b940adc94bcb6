// The environment every command in a sandbox's VM gets from the host, over the control
// channel (never in a host process's argv or environment): its secret placeholders, never
// values, and the proxy URL with its listener's credential, which the image's profile
// cannot know (a pooled VM learns it only when a sandbox adopts it).

import { GUEST_PROXY_HOST, GUEST_PROXY_PORT } from '../vm/index.ts';
import { envName } from './env.ts';
import type { Sandbox } from './sandbox.ts';

export function guestEnv(sandbox: Sandbox): Record<string, string> {
  const proxy = sandbox.proxyCredential.url(GUEST_PROXY_HOST, GUEST_PROXY_PORT);
  const env: Record<string, string> = {
    WARDEN_SANDBOX: sandbox.identity.sandboxId,
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
  };
  for (const [name, placeholder] of Object.entries(sandbox.placeholders)) env[envName(name)] = placeholder;
  return env;
}
