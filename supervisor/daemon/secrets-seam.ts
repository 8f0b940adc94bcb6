// Connects the vault and the placeholder registry to the proxy (SecretInjector) and to
// the API (names and bindings only). Secret values pass through here on their way to the
// vault or into an outgoing request, and nowhere else.

import { WardenError } from '../api/errors.ts';
import type { InjectMode, SecretView } from '../api/index.ts';
import type { HeaderMap, ResponseRedactor, SecretApplyResult, SecretInjector } from '../proxy/index.ts';
import {
  applySecrets,
  clientCertificateOf,
  createDeepScanner,
  createStreamRedactor,
  type PlaceholderRegistry,
  redactionNeedles,
  redactRawHeaders,
  type Vault,
} from '../secrets/index.ts';

export class SecretsSeam implements SecretInjector {
  readonly #vault: Vault;
  readonly #registry: PlaceholderRegistry;
  readonly #granted = new Map<string, string[]>();

  constructor(vault: Vault, registry: PlaceholderRegistry) {
    this.#vault = vault;
    this.#registry = registry;
  }

  get backend(): string {
    return this.#vault.backend;
  }

  count(): number {
    return this.#vault.list().length;
  }

  list(): SecretView[] {
    return this.#vault.list();
  }

  async set(name: string, value: string, opts: { hosts: string[]; inject: InjectMode }): Promise<SecretView> {
    try {
      await this.#vault.set(name, value, opts);
    } catch (error) {
      throw new WardenError('SecretInvalid', (error as Error).message);
    }
    const view = this.#vault.list().find((s) => s.name === name);
    if (!view) throw new WardenError('SecretNotStored', `secret ${name} was not stored`);
    return view;
  }

  async remove(name: string): Promise<void> {
    if (!(await this.#vault.remove(name))) {
      throw new WardenError('SecretNotFound', `no secret named ${name}`, 'list them with: warden secret ls');
    }
  }

  /** Issue this sandbox's placeholders; unknown secret names are refused. */
  grant(sandboxId: string, names: string[]): Record<string, string> {
    const missing = names.filter((n) => !this.#vault.has(n));
    if (missing.length > 0) {
      throw new WardenError(
        'SecretNotFound',
        `no secret named ${missing.join(', ')}`,
        'add it with: warden secret set NAME --host HOST',
      );
    }
    const out: Record<string, string> = {};
    for (const name of names) out[name] = this.#registry.issue(sandboxId, name);
    if (names.length > 0) this.#granted.set(sandboxId, names);
    return out;
  }

  revoke(sandboxId: string): void {
    this.#granted.delete(sandboxId);
    this.#registry.revokeSandbox(sandboxId);
  }

  clientCertificate(
    name: string,
    host: string,
    granted: string[],
  ): { cert: string; key: string } | { error: string } {
    if (!granted.includes(name) || !this.#vault.has(name))
      return { error: `the client certificate ${name} is not a secret this sandbox was granted` };
    const view = this.#vault.get(name);
    if (view?.inject !== 'tls-client') return { error: `the secret ${name} is not a tls-client secret` };
    if (!this.#vault.isBound(name, host)) return { error: `the secret ${name} is not bound to ${host}` };
    try {
      return clientCertificateOf(this.#vault.reveal(name));
    } catch (error) {
      return { error: `the secret ${name}: ${(error as Error).message}` };
    }
  }

  holdsPlaceholders(sandboxId: string): boolean {
    return (this.#granted.get(sandboxId)?.length ?? 0) > 0;
  }

  apply(
    input: { sandboxId: string; host: string; intercepted: boolean; headers: HeaderMap; url: string },
    granted: string[],
  ): SecretApplyResult {
    return applySecrets(input, { registry: this.#registry, vault: this.#vault, granted });
  }

  /** The names of the vault's secrets whose value occurs in DATA (the agent home check). */
  valuesIn(data: Buffer): string[] {
    return this.#vault
      .list()
      .map((v) => v.name)
      .filter((name) => {
        const value = this.#vault.reveal(name);
        return value.length > 0 && data.includes(value);
      });
  }

  /** Every value in the vault, for spec.redact's `vault` detector (kept in memory only there). */
  vaultValues(): string[] {
    return this.#vault.list().map((v) => this.#vault.reveal(v.name));
  }

  redactor(host: string, granted: string[]): ResponseRedactor | undefined {
    const values = [...new Set(granted)]
      .filter((name) => this.#vault.has(name) && this.#vault.isBound(name, host))
      .map((name) => ({ secret: name, value: this.#vault.reveal(name) }));
    if (values.length === 0) return undefined;
    const needles = redactionNeedles(values);
    return {
      headers: (raw) => redactRawHeaders(raw, needles),
      stream: (onFound) => createStreamRedactor(needles, onFound),
    };
  }

  bodyScanner(
    sandboxId: string,
    host: string,
  ): {
    push(chunk: Buffer): Array<{ secret: string; where: string }>;
    end(): Array<{ secret: string; where: string }>;
  } {
    const scanner = createDeepScanner();
    const judge = (placeholders: string[]) => {
      const out: Array<{ secret: string; where: string }> = [];
      for (const placeholder of placeholders) {
        const owner = this.#registry.lookup(placeholder);
        if (!owner || owner.sandboxId !== sandboxId) {
          out.push({ secret: owner?.secretName ?? 'unknown', where: 'body' });
          continue;
        }
        if (!this.#vault.isBound(owner.secretName, host))
          out.push({ secret: owner.secretName, where: 'body' });
      }
      return out;
    };
    return { push: (chunk) => judge(scanner.push(chunk)), end: () => judge(scanner.end()) };
  }
}
