// The policy view: the resolved rules with their sources, an editor for one layer (base,
// or a sandbox's project layer) validated as you type, a dry-run diff, and apply.

import { action, computed, makeObservable, observable, observableRef, runInAction } from 'mobx';
import type { AuditPage } from '../../supervisor/api/audit-types.ts';
import type { PolicyResponse } from '../../supervisor/api/messages.ts';
import type { PolicyDiff, PolicyErrorView } from '../../supervisor/api/policy-types.ts';
import { type BridgeError, toBridgeError, type WardenClient } from '../client/client.ts';
import { Resource } from './resource.ts';

export const POLICY_TEMPLATE = `apiVersion: warden.dev/v1
kind: Policy
metadata:
  name: project
spec:
  network:
    default: ask
    rules: []
`;

export interface PolicyStoreOptions {
  /** Delay before validating what was typed. */
  debounceMs?: number;
}

export class PolicyStore {
  /** '' = the base layer (every sandbox); otherwise a sandbox id (its project layer). */
  target = '';
  readonly policy: Resource<PolicyResponse>;
  readonly history: Resource<AuditPage>;
  draft = '';
  /** The text the draft started from (the layer as loaded). */
  original = '';
  errors: PolicyErrorView[] = [];
  validated = false;
  validating = false;
  preview: PolicyDiff | null = null;
  previewing = false;
  applying = false;
  applyError: BridgeError | null = null;
  applied: PolicyDiff | null = null;
  readonly #client: WardenClient;
  readonly #debounceMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #validation = 0;

  constructor(client: WardenClient, opts: PolicyStoreOptions = {}) {
    this.#client = client;
    this.#debounceMs = opts.debounceMs ?? 300;
    this.policy = new Resource(() =>
      client.getPolicy(this.target ? { query: { sandbox: this.target } } : {}),
    );
    this.history = new Resource(() => client.auditPage({ query: { kind: 'policy.changed', limit: '20' } }));
    makeObservable(this, {
      target: observable,
      draft: observable,
      original: observable,
      errors: observableRef,
      validated: observable,
      validating: observable,
      preview: observableRef,
      previewing: observable,
      applying: observable,
      applyError: observableRef,
      applied: observableRef,
      dirty: computed,
      setDraft: action,
      setTarget: action,
      revert: action,
    });
  }

  get layer(): 'base' | 'project' {
    return this.target ? 'project' : 'base';
  }

  get dirty(): boolean {
    return this.draft !== this.original;
  }

  async load(): Promise<void> {
    await this.policy.load();
    const p = this.policy.value;
    if (!p) return;
    const text =
      p.layers.find((l) => l.layer === this.layer)?.yaml ??
      POLICY_TEMPLATE.replace('name: project', `name: ${this.layer}`);
    runInAction(() => {
      const keepDraft = this.dirty;
      this.original = text;
      if (!keepDraft) this.draft = text;
    });
    void this.history.load();
  }

  setTarget(target: string): void {
    this.target = target;
    this.original = '';
    this.draft = '';
    this.errors = [];
    this.preview = null;
    this.applied = null;
    this.applyError = null;
    void this.load();
  }

  setDraft(text: string): void {
    this.draft = text;
    this.preview = null;
    this.applied = null;
    this.applyError = null;
    this.validated = false;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.validate(), this.#debounceMs);
  }

  revert(): void {
    this.setDraft(this.original);
  }

  /** Validate the draft now; true when it is valid. */
  async validate(): Promise<boolean> {
    clearTimeout(this.#timer);
    const n = ++this.#validation;
    const yaml = this.draft;
    runInAction(() => {
      this.validating = true;
    });
    try {
      const result = await this.#client.validatePolicy({ body: { yaml, source: 'editor' } });
      if (n !== this.#validation) return result.valid;
      runInAction(() => {
        this.errors = result.errors;
        this.validated = true;
        this.applyError = null;
      });
      return result.valid;
    } catch (error) {
      runInAction(() => {
        this.applyError = toBridgeError(error);
      });
      return false;
    } finally {
      if (n === this.#validation)
        runInAction(() => {
          this.validating = false;
        });
    }
  }

  #body(dryRun: boolean) {
    return {
      layer: this.layer,
      yaml: this.draft,
      dryRun,
      ...(this.target ? { sandboxId: this.target } : {}),
      ...(this.layer === 'project'
        ? { source: this.policy.value?.layers.find((l) => l.layer === 'project')?.source ?? 'editor' }
        : {}),
    };
  }

  /** Dry run: what applying the draft would change. */
  async dryRun(): Promise<void> {
    if (!(await this.validate()) || this.errors.length > 0) return;
    runInAction(() => {
      this.previewing = true;
    });
    try {
      const result = await this.#client.applyPolicy({ body: this.#body(true) });
      runInAction(() => {
        this.preview = result.diff;
        this.applyError = null;
      });
    } catch (error) {
      this.#failed(error);
    } finally {
      runInAction(() => {
        this.previewing = false;
      });
    }
  }

  async apply(): Promise<boolean> {
    runInAction(() => {
      this.applying = true;
    });
    try {
      const result = await this.#client.applyPolicy({ body: this.#body(false) });
      runInAction(() => {
        this.applied = result.diff;
        this.preview = null;
        this.original = this.draft;
        this.applyError = null;
      });
      await this.load();
      return true;
    } catch (error) {
      this.#failed(error);
      return false;
    } finally {
      runInAction(() => {
        this.applying = false;
      });
    }
  }

  #failed(error: unknown): void {
    const e = toBridgeError(error);
    runInAction(() => {
      this.applyError = e;
      if (e.errors) this.errors = e.errors;
    });
  }
}
