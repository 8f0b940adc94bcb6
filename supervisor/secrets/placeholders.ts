// Placeholders the agent holds instead of real secrets: `wdn_ph_` + 40 random lowercase hex
// characters, unique per (sandbox, secret) and stable for that pair. They carry no secret
// material, so they may be shown, logged and audited.

import { randomBytes } from 'node:crypto';
import { PLACEHOLDER_BODY_LENGTH, PLACEHOLDER_PREFIX } from './scanner.ts';

export interface PlaceholderOwner {
  sandboxId: string;
  secretName: string;
}

export class PlaceholderRegistry {
  readonly #byPlaceholder = new Map<string, PlaceholderOwner>();
  /** sandboxId → secretName → placeholder */
  readonly #bySandbox = new Map<string, Map<string, string>>();

  /** The placeholder of `secretName` for `sandboxId`, issued on first call. */
  issue(sandboxId: string, secretName: string): string {
    if (!sandboxId || !secretName) throw new Error('a placeholder needs a sandbox id and a secret name');
    let secrets = this.#bySandbox.get(sandboxId);
    const existing = secrets?.get(secretName);
    if (existing) return existing;
    let placeholder: string;
    do {
      placeholder = PLACEHOLDER_PREFIX + randomBytes(PLACEHOLDER_BODY_LENGTH / 2).toString('hex');
    } while (this.#byPlaceholder.has(placeholder));
    if (!secrets) {
      secrets = new Map();
      this.#bySandbox.set(sandboxId, secrets);
    }
    secrets.set(secretName, placeholder);
    this.#byPlaceholder.set(placeholder, { sandboxId, secretName });
    return placeholder;
  }

  lookup(placeholder: string): PlaceholderOwner | undefined {
    const owner = this.#byPlaceholder.get(placeholder);
    return owner ? { ...owner } : undefined;
  }

  /** Secret name → placeholder for one sandbox (the shape of `ListenerView.placeholders`). */
  forSandbox(sandboxId: string): Record<string, string> {
    return Object.fromEntries(this.#bySandbox.get(sandboxId) ?? []);
  }

  /** Forget a sandbox's placeholders (its listener is gone); returns how many. */
  revokeSandbox(sandboxId: string): number {
    const secrets = this.#bySandbox.get(sandboxId);
    if (!secrets) return 0;
    for (const placeholder of secrets.values()) this.#byPlaceholder.delete(placeholder);
    this.#bySandbox.delete(sandboxId);
    return secrets.size;
  }

  /** Forget one secret's placeholders in every sandbox (the secret was removed). */
  revokeSecret(secretName: string): number {
    let count = 0;
    for (const secrets of this.#bySandbox.values()) {
      const placeholder = secrets.get(secretName);
      if (placeholder) {
        this.#byPlaceholder.delete(placeholder);
        secrets.delete(secretName);
        count += 1;
      }
    }
    return count;
  }
}
