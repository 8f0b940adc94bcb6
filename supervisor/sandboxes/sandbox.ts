// A sandbox as the supervisor sees it: an agent identity, its policy layers (organisation,
// base, preset, project, session) and its governed proxy listener. A VM sandbox also has its machine
// (vm-sandboxes.ts); a host sandbox is this alone.

import type { HostSandboxView, PolicyDocument, RuleSpec, SandboxKind } from '../api/index.ts';
import { emptyPolicy, Policy, type PolicyLayer, prependRule, withoutRule } from '../policy/index.ts';
import { ProxyCredential, type SandboxContext } from '../proxy/index.ts';

export interface SandboxInit {
  sandboxId: string;
  label: string;
  user: string;
  kind: SandboxKind;
  project?: PolicyLayer;
  /** A preset's policy, under the project layer. */
  preset?: PolicyLayer;
  secrets: string[];
  placeholders: Record<string, string>;
}

export class Sandbox implements SandboxContext {
  readonly identity: { sandboxId: string; user: string };
  readonly label: string;
  readonly kind: SandboxKind;
  readonly createdAt = new Date().toISOString();
  readonly placeholders: Record<string, string>;
  readonly proxyCredential = new ProxyCredential();
  readonly #granted: string[];
  readonly #base: () => PolicyLayer | undefined;
  readonly #organisation: () => PolicyLayer | undefined;
  #project?: PolicyLayer;
  readonly #preset?: PolicyLayer;
  #session: PolicyDocument;
  #policy: Policy;
  port = 0;

  constructor(
    init: SandboxInit,
    base: () => PolicyLayer | undefined,
    organisation: () => PolicyLayer | undefined = () => undefined,
  ) {
    this.identity = { sandboxId: init.sandboxId, user: init.user };
    this.label = init.label;
    this.kind = init.kind;
    this.#granted = init.secrets;
    this.placeholders = init.placeholders;
    this.#base = base;
    this.#organisation = organisation;
    this.#project = init.project;
    this.#preset = init.preset;
    this.#session = emptyPolicy(`session ${init.sandboxId}`);
    this.#policy = this.#resolve();
  }

  policy(): Policy {
    return this.#policy;
  }

  secrets(): string[] {
    return this.#granted;
  }

  policySource(): string | undefined {
    return this.#project?.source;
  }

  get project(): PolicyLayer | undefined {
    return this.#project;
  }

  get session(): PolicyDocument {
    return this.#session;
  }

  layers(): PolicyLayer[] {
    const base = this.#base();
    const organisation = this.#organisation();
    const out: PolicyLayer[] = organisation ? [organisation] : [];
    if (base) out.push(base);
    if (this.#preset) out.push(this.#preset);
    if (this.#project) out.push(this.#project);
    out.push({ layer: 'session', source: 'session', document: this.#session });
    return out;
  }

  /** Recompute after a layer changed; returns [before, after] for a diff. */
  refresh(): [Policy, Policy] {
    const before = this.#policy;
    this.#policy = this.#resolve();
    return [before, this.#policy];
  }

  setProject(layer: PolicyLayer): [Policy, Policy] {
    this.#project = layer;
    return this.refresh();
  }

  addSessionRule(rule: RuleSpec): [Policy, Policy] {
    this.#session = prependRule(this.#session, rule);
    return this.refresh();
  }

  /** Remove a session rule (a revoked "always" answer); null when it is not there. */
  removeSessionRule(rule: RuleSpec): [Policy, Policy] | null {
    const next = withoutRule(this.#session, rule);
    if (!next) return null;
    this.#session = next;
    return this.refresh();
  }

  /** Its identity and its listener, as a host sandbox shows them (a VM's view adds its machine). */
  listenerView(host: string): Omit<HostSandboxView, 'kind'> {
    const authority = `${host}:${this.port}`;
    const view: Omit<HostSandboxView, 'kind'> = {
      sandboxId: this.identity.sandboxId,
      label: this.label,
      user: this.identity.user,
      host,
      port: this.port,
      proxyUrl: `http://${authority}`,
      clientProxyUrl: this.proxyCredential.url(host, this.port),
      createdAt: this.createdAt,
      placeholders: { ...this.placeholders },
    };
    if (this.#project) view.policySource = this.#project.source;
    return view;
  }

  #resolve(): Policy {
    return Policy.resolve(this.layers());
  }
}
