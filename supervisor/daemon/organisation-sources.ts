// Where this device's organisation policy comes from: the managed file an MDM drops in a
// system folder (re-read every minute, so a new one applies without a restart) and the
// policy the team hub pushes (verified by the sync link before it gets here). The managed
// file wins when both exist. Whatever is enforced goes to PolicyLayers; whatever exists but
// is not enforced is a warning in the status.

import path from 'node:path';
import type { OrganisationStatus } from '../api/index.ts';
import type { SyncLedger } from '../audit/index.ts';
import { defaultManagedDir, loadManagedPolicy, type PolicyLayer } from '../policy/index.ts';
import type { Logger } from '../proxy/index.ts';
import type { PolicyLayers } from '../sandboxes/policy-layers.ts';
import { HubPolicyReceiver } from '../sync/hub-policy.ts';
import { parseVerifierKey } from '../tlog/note.ts';

export const MANAGED_POLL_MS = 60_000;

export interface OrganisationSourcesDeps {
  /** Read only once started (the daemon builds its layers after the sync link that feeds this). */
  layers: () => Pick<PolicyLayers, 'setOrganisation' | 'organisation'>;
  /**
   * Folders to look for `managed.yaml` in, first trusted one wins: the platform's always
   * comes first, so a folder given for tests cannot hide the machine's managed file.
   */
  managedDirs: string[];
  log: Logger;
  pollMs?: number;
  /** Where the accepted hub policy is kept, and the enrolled hub (URL and key), if any. */
  hubFile: string;
  hub: () => { url: string; hubKey: string } | null;
}

export class OrganisationSources {
  readonly #deps: OrganisationSourcesDeps;
  #managed?: PolicyLayer;
  #managedWarning?: string;
  #hub?: PolicyLayer;
  #hubWarning?: string;
  #timer?: NodeJS.Timeout;
  /** What the sync link reports and offers the hub's policy to. */
  readonly hubReceiver: HubPolicyReceiver;

  constructor(deps: OrganisationSourcesDeps) {
    this.#deps = deps;
    this.hubReceiver = new HubPolicyReceiver({
      file: deps.hubFile,
      source: () => `team hub ${deps.hub()?.url ?? ''}`.trim(),
      apply: (layer, warning) => this.setHub(layer, warning),
      enforcedHash: () => this.enforced()?.origin?.hash ?? null,
    });
  }

  /** Read the managed file and the kept hub policy now, then the managed file every minute. */
  async start(): Promise<void> {
    const hub = this.#deps.hub();
    await this.hubReceiver.restore(hub ? parseVerifierKey(hub.hubKey) : null);
    await this.reloadManaged();
    this.#timer = setInterval(() => {
      this.reloadManaged().catch((error: Error) => this.#deps.log.warn(`managed policy: ${error.message}`));
    }, this.#deps.pollMs ?? MANAGED_POLL_MS);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async reloadManaged(): Promise<void> {
    let layer: PolicyLayer | undefined;
    const warnings: string[] = [];
    for (const dir of this.#deps.managedDirs) {
      const found = await loadManagedPolicy(dir);
      if (found.warning) warnings.push(found.warning);
      layer ??= found.layer;
    }
    const warning = warnings.length ? warnings.join('; ') : undefined;
    if (warning && warning !== this.#managedWarning) this.#deps.log.warn(warning);
    this.#managedWarning = warning;
    this.#managed = layer;
    this.#apply('managed file');
  }

  /** The hub's policy, verified (or undefined to drop it), or why the hub's policy was refused. */
  setHub(layer: PolicyLayer | undefined, warning?: string): void {
    if (warning && warning !== this.#hubWarning) this.#deps.log.warn(warning);
    this.#hubWarning = warning;
    this.#hub = layer;
    this.#apply('team hub');
  }

  /** The hash of the hub policy in force, if any (what the heartbeat reports). */
  hubHash(): string | undefined {
    return this.#hub?.origin?.hash;
  }

  /** The organisation layer in force. */
  enforced(): PolicyLayer | undefined {
    return this.#managed ?? this.#hub;
  }

  status(): OrganisationStatus {
    const enforced = this.enforced();
    const warnings = [this.#managedWarning, this.#hubWarning].filter((w): w is string => !!w);
    if (this.#managed && this.#hub) {
      warnings.push(
        `the team hub's policy ${this.#hub.origin?.hash} is not enforced: the managed file takes precedence`,
      );
    }
    return {
      ...(enforced?.origin ? { enforced: { source: enforced.source, origin: enforced.origin } } : {}),
      managedDir: this.#deps.managedDirs.at(-1) as string,
      warnings,
    };
  }

  #apply(by: string): void {
    const next = this.enforced();
    const layers = this.#deps.layers();
    const current = layers.organisation();
    if (next?.origin?.hash === current?.origin?.hash && next?.source === current?.source) return;
    layers.setOrganisation(next, by);
  }
}

/** The daemon's: the platform's managed folder first, then `managedDir`; the hub it enrolled with. */
export function daemonOrganisation(
  o: { home: string; managedDir?: string; log: Logger; ledger: Pick<SyncLedger, 'link'> },
  layers: OrganisationSourcesDeps['layers'],
): OrganisationSources {
  return new OrganisationSources({
    layers,
    managedDirs: [...new Set([defaultManagedDir(), o.managedDir ?? defaultManagedDir()])],
    log: o.log,
    hubFile: path.join(o.home, 'organisation-policy.json'),
    hub: () => {
      const link = o.ledger.link();
      return link ? { url: link.hubUrl, hubKey: link.hubKey } : null;
    },
  });
}
