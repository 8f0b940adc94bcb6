// The sandboxes the daemon supervises and their proxy listeners.

import { randomBytes } from 'node:crypto';
import { WardenError } from '../api/errors.ts';
import type { CreateHostSandboxRequest, SandboxKind } from '../api/index.ts';
import { type PolicyLayer, parsePolicy } from '../policy/index.ts';
import { ProxyListener, type ProxyServices, type SandboxContext } from '../proxy/index.ts';
import { Sandbox } from './sandbox.ts';

/** What a sandbox's listener is made from, whatever its kind. */
export type ListenerRequest = Omit<CreateHostSandboxRequest, 'kind'>;

export interface SandboxesDeps {
  svc: ProxyServices;
  base: () => PolicyLayer | undefined;
  /** The organisation's layer, above the base (none when the device has no organisation policy). */
  organisation?: () => PolicyLayer | undefined;
  /** Issue placeholders for granted secrets; throws WardenError for unknown names. */
  grant: (sandboxId: string, secrets: string[]) => Record<string, string>;
  revoke: (sandboxId: string) => void;
  user: string;
}

export class Sandboxes {
  readonly #deps: SandboxesDeps;
  readonly #byId = new Map<string, { sandbox: Sandbox; listener: ProxyListener }>();

  constructor(deps: SandboxesDeps) {
    this.#deps = deps;
  }

  list(): Sandbox[] {
    return [...this.#byId.values()].map((e) => e.sandbox);
  }

  get(sandboxId: string): Sandbox {
    const entry = this.#byId.get(sandboxId);
    if (!entry)
      throw new WardenError('SandboxNotFound', `no sandbox ${sandboxId}`, 'list them with: warden ps');
    return entry.sandbox;
  }

  listener(sandboxId: string): ProxyListener | undefined {
    return this.#byId.get(sandboxId)?.listener;
  }

  async create(req: ListenerRequest, kind: SandboxKind = 'host'): Promise<Sandbox> {
    const sandbox = this.#build(req, kind);
    const listener = new ProxyListener(sandbox, this.#deps.svc);
    try {
      sandbox.port = await listener.listen(req.port ?? 0);
    } catch (error) {
      this.#deps.revoke(sandbox.identity.sandboxId);
      const code = (error as NodeJS.ErrnoException).code;
      throw new WardenError(
        'PortUnavailable',
        `cannot listen on 127.0.0.1:${req.port}: ${code}`,
        'choose another --port or omit it',
      );
    }
    this.#byId.set(sandbox.identity.sandboxId, { sandbox, listener });
    return sandbox;
  }

  /**
   * A listener that belongs to no sandbox yet (the warm pool's): its connections are
   * attributed to `context`, whose policy should deny everything. Not listed.
   */
  async createIdle(context: SandboxContext): Promise<ProxyListener> {
    const listener = new ProxyListener(context, this.#deps.svc);
    await listener.listen(0);
    return listener;
  }

  /** Creates a sandbox (identity, policy layers, secrets) on a listener from createIdle. */
  adopt(req: ListenerRequest, listener: ProxyListener, kind: SandboxKind): Sandbox {
    const sandbox = this.#build(req, kind);
    sandbox.port = listener.port;
    listener.bind(sandbox);
    this.#byId.set(sandbox.identity.sandboxId, { sandbox, listener });
    return sandbox;
  }

  #build(req: ListenerRequest, kind: SandboxKind): Sandbox {
    const project = req.policy ? layerOf('project', req.policy) : undefined;
    const preset = req.preset ? layerOf('preset', req.preset) : undefined;
    const label = (req.label ?? 'proxy').replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40) || 'proxy';
    const sandboxId = `${label}-${randomBytes(3).toString('hex')}`;
    const secrets = [...new Set(req.secrets ?? [])];
    const placeholders = this.#deps.grant(sandboxId, secrets);
    return new Sandbox(
      { sandboxId, label, user: req.user ?? this.#deps.user, kind, project, preset, secrets, placeholders },
      this.#deps.base,
      this.#deps.organisation,
    );
  }

  async remove(sandboxId: string): Promise<void> {
    const entry = this.#byId.get(sandboxId);
    if (!entry) throw new WardenError('SandboxNotFound', `no sandbox ${sandboxId}`);
    this.#byId.delete(sandboxId);
    this.#deps.svc.approvals.cancelSandbox(sandboxId, `sandbox ${sandboxId} was removed`);
    await entry.listener.close();
    this.#deps.revoke(sandboxId);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#byId.keys()].map((id) => this.remove(id)));
  }
}

/** A policy document sent with a new sandbox, parsed into its layer (PolicyInvalid if it is not valid). */
function layerOf(layer: 'project' | 'preset', doc: { yaml: string; source: string }): PolicyLayer {
  const parsed = parsePolicy(doc.yaml, doc.source);
  if (!parsed.ok) {
    throw new WardenError(
      'PolicyInvalid',
      `the ${layer === 'preset' ? 'preset ' : ''}policy ${doc.source} is not valid`,
      'fix the errors listed and try again',
      { errors: parsed.errors },
    );
  }
  return { layer, source: doc.source, document: parsed.document, lines: parsed.lines };
}
