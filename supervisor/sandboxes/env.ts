// The environment a client process exports to go through its listener: the proxy URL
// carries the listener's credential, so this environment is a secret of that process.

import type { HostSandboxView } from '../api/index.ts';

export function clientEnv(
  view: Pick<HostSandboxView, 'clientProxyUrl' | 'sandboxId' | 'placeholders'>,
  files: { caCert: string; caBundle: string },
): Record<string, string> {
  const proxy = view.clientProxyUrl;
  const env: Record<string, string> = {
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
    ALL_PROXY: proxy,
    NO_PROXY: '',
    no_proxy: '',
    SSL_CERT_FILE: files.caBundle,
    CURL_CA_BUNDLE: files.caBundle,
    REQUESTS_CA_BUNDLE: files.caBundle,
    GIT_SSL_CAINFO: files.caBundle,
    NODE_EXTRA_CA_CERTS: files.caCert,
    WARDEN_SANDBOX: view.sandboxId,
  };
  for (const [name, placeholder] of Object.entries(view.placeholders)) env[envName(name)] = placeholder;
  return env;
}

/** A secret's name as an environment variable name (`my-token` → `MY_TOKEN` only when needed). */
export function envName(secretName: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(secretName)
    ? secretName
    : secretName.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase();
}
