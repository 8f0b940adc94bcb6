// The seam the proxy calls once per request: is it a body to a model API host that spec.redact
// covers, and if so the scanner of its body. Masks are stable per value within a sandbox
// (an HMAC under a key made when the daemon starts), so the model sees the same token for
// the same value and cannot recover the value from it.

import { createHmac, randomBytes } from 'node:crypto';
import type { RequestFacts } from '../api/index.ts';
import type { Policy } from '../policy/index.ts';
import { MODEL_API_HOSTS, modelApiOf } from '../spend/index.ts';
import { BodyScanner } from './body-scanner.ts';
import { findersOf, noRules, type RedactRules, redactRulesOf } from './rules.ts';

export interface RedactionOpening {
  scanner: BodyScanner;
  provider: 'anthropic' | 'openai';
}

export interface RedactionServiceOptions {
  /** The vault's secret values (all of them) and this sandbox's placeholders are looked for by `vault`. */
  vaultValues?: () => string[];
  /** The HMAC key of the masks (default: 32 random bytes). */
  key?: Buffer;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export class RedactionService {
  readonly #key: Buffer;
  readonly #vaultValues: () => string[];
  readonly #compiled = new WeakMap<Policy, RedactRules>();

  constructor(options: RedactionServiceOptions = {}) {
    this.#key = options.key ?? randomBytes(32);
    this.#vaultValues = options.vaultValues ?? (() => []);
  }

  /** The rules of a policy, compiled once. */
  rulesOf(policy: Policy): RedactRules {
    let rules = this.#compiled.get(policy);
    if (!rules) {
      rules = redactRulesOf(policy);
      this.#compiled.set(policy, rules);
    }
    return rules;
  }

  /** Does spec.redact cover requests to this host? Then its tunnels are read. */
  covers(policy: Policy, host: string): boolean {
    const rules = this.rulesOf(policy);
    if (noRules(rules)) return false;
    const h = host.toLowerCase();
    return MODEL_API_HOSTS.includes(h) || rules.hosts.has(h);
  }

  /** Undefined: nothing to redact in this request; else the scanner of its body. */
  open(
    sandboxId: string,
    policy: Policy,
    facts: Pick<RequestFacts, 'method' | 'host' | 'path'>,
    contentType: string | undefined,
  ): RedactionOpening | undefined {
    if (!BODY_METHODS.has(facts.method.toUpperCase())) return undefined;
    if (!this.covers(policy, facts.host)) return undefined;
    const rules = this.rulesOf(policy);
    const host = facts.host.toLowerCase();
    const vault = rules.detectors.has('vault')
      ? { values: this.#vaultValues().map((v) => Buffer.from(v, 'utf8').toString('latin1')) }
      : { values: [] };
    const finders = findersOf(rules, vault);
    const mask = (kind: string, value: string) => `[REDACTED:${kind}:${this.tag(sandboxId, kind, value)}]`;
    const json = /\bjson\b|\+json/i.test(contentType ?? '') || contentType === undefined;
    const api = modelApiOf(facts.method, facts.path);
    const provider = api
      ? api === 'anthropic.messages'
        ? 'anthropic'
        : 'openai'
      : host.includes('anthropic')
        ? 'anthropic'
        : 'openai';
    return { scanner: new BodyScanner({ finders, mask }, json), provider };
  }

  /** The stable tag of a value (6 hex digits of an HMAC of the sandbox, the kind and the value). */
  tag(sandboxId: string, kind: string, value: string): string {
    return createHmac('sha256', this.#key)
      .update(`${sandboxId}\0${kind}\0`)
      .update(value, 'latin1')
      .digest('hex')
      .slice(0, 6);
  }
}
