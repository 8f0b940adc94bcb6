// Sandboxes, secrets and status: lists fetched from the daemon, refreshed by events.

import { makeObservable, observable, observableRef, runInAction } from 'mobx';
import type {
  AuditChainStatus,
  AuditHistogram,
  AuditPage,
  AuditRecord,
} from '../../supervisor/api/audit-types.ts';
import type { WardenEvent } from '../../supervisor/api/events.ts';
import type { InjectMode, SecretView, StatusResponse } from '../../supervisor/api/messages.ts';
import type {
  CreateSandboxRequest,
  HostSandboxView,
  ImageView,
  SandboxView,
  VmSandboxView,
} from '../../supervisor/api/sandbox-types.ts';
import type { TerminalSession, TerminalSize } from '../../supervisor/api/terminal.ts';
import { type BridgeError, toBridgeError, type WardenClient } from '../client/client.ts';
import { attempt, Resource } from './resource.ts';

/** Every sandbox, one list of both kinds: microVMs and host processes' proxy listeners. */
export class SandboxesStore {
  readonly all: Resource<SandboxView[]>;
  readonly images: Resource<ImageView[]>;
  readonly #client: WardenClient;

  constructor(client: WardenClient) {
    this.#client = client;
    this.all = new Resource(() => client.listSandboxes());
    this.images = new Resource(() => client.listImages());
  }

  /** The microVMs (undefined until the list is loaded). */
  get vms(): VmSandboxView[] | undefined {
    return this.all.value?.filter((s): s is VmSandboxView => s.kind === 'vm');
  }

  /** The host processes behind a proxy listener (`warden proxy`). */
  get hosts(): HostSandboxView[] | undefined {
    return this.all.value?.filter((s): s is HostSandboxView => s.kind === 'host');
  }

  load(): Promise<unknown> {
    return Promise.all([this.all.load(), this.images.load()]);
  }

  onEvent(event: WardenEvent): void {
    if (
      event.type === 'sandbox.state' ||
      (event.type === 'user.action' && /^(sandbox|listener)\./.test(event.action))
    )
      void this.all.load();
  }

  /** Removes a sandbox of either kind (a VM is powered off). */
  async stop(sandboxId: string) {
    const r = await attempt(() => this.#client.stopSandbox({ params: { sandboxId } }));
    await this.all.load();
    return r;
  }

  async create(body: CreateSandboxRequest) {
    const r = await attempt(() => this.#client.createSandbox({ body }));
    await this.all.load();
    return r;
  }

  /** An interactive shell in a running sandbox, over whichever transport the client has. */
  readonly openTerminal = (sandboxId: string, size: TerminalSize): Promise<TerminalSession> =>
    this.#client.openTerminal(sandboxId, size);
}

export class SecretsStore {
  readonly list: Resource<SecretView[]>;
  readonly #client: WardenClient;

  constructor(client: WardenClient) {
    this.#client = client;
    this.list = new Resource(() => client.listSecrets());
  }

  onEvent(event: WardenEvent): void {
    if (event.type === 'user.action' && event.action.startsWith('secret.')) void this.list.load();
  }

  /** The value is sent once and not kept anywhere in the store. */
  async add(name: string, value: string, hosts: string[], inject: InjectMode) {
    const r = await attempt(() =>
      this.#client.putSecret({ params: { name }, body: { value, hosts, inject } }),
    );
    await this.list.load();
    return r;
  }

  async remove(name: string) {
    const r = await attempt(() => this.#client.removeSecret({ params: { name } }));
    await this.list.load();
    return r;
  }
}

export class StatusStore {
  readonly status: Resource<StatusResponse>;

  constructor(client: WardenClient) {
    this.status = new Resource(() => client.status());
  }

  onEvent(event: WardenEvent): void {
    if (event.type === 'daemon.started') void this.status.load();
  }

  /** The team hub link needs attention (the nav shows a badge): stopped, parked or backing off. */
  get syncFailing(): boolean {
    const state = this.status.value?.sync?.state;
    return state === 'revoked' || state === 'forked' || state === 'parked' || state === 'backing-off';
  }

  /** Reload every `ms` (the sync link changes without an event); returns the stopper. */
  startPolling(ms = 15_000): () => void {
    const timer = setInterval(() => void this.status.load(), ms);
    return () => clearInterval(timer);
  }
}

export interface AuditFilters {
  sandbox: string;
  kind: string;
  host: string;
  outcome: string;
  /** `name` or `name@version`: the npm tarballs fetched of it. */
  package: string;
  since: string;
  /** Set by brushing the histogram (an ISO time); empty: now. */
  until: string;
}

/** Buckets of the audit histogram; its range is the filters' since…until (default the last day). */
export const AUDIT_HISTOGRAM_BUCKETS = 96;
export const AUDIT_DEFAULT_SINCE = '24h';

/** The audit trail, a page at a time (cursor paging), and the chain's verification. */
export class AuditStore {
  records: AuditRecord[] = [];
  nextCursor: string | null = null;
  loading = false;
  loaded = false;
  error: BridgeError | null = null;
  filters: AuditFilters = { sandbox: '', kind: '', host: '', outcome: '', package: '', since: '', until: '' };
  readonly chain: Resource<AuditChainStatus>;
  /** Records by time bucket and kind over the filters' range (every kind: the kind filter is left out). */
  readonly histogram: Resource<AuditHistogram>;
  readonly #client: WardenClient;
  readonly #pageSize: number;

  constructor(client: WardenClient, pageSize = 100) {
    this.#client = client;
    this.#pageSize = pageSize;
    this.chain = new Resource(() => client.auditChain());
    this.histogram = new Resource(() => {
      const { sandbox, host, outcome, since, until } = this.filters;
      const query: Record<string, string> = {
        since: since || AUDIT_DEFAULT_SINCE,
        buckets: String(AUDIT_HISTOGRAM_BUCKETS),
      };
      for (const [k, v] of Object.entries({ sandbox, host, outcome, until })) if (v) query[k] = v;
      return client.auditHistogram({ query });
    });
    makeObservable(this, {
      records: observableRef,
      nextCursor: observable,
      loading: observable,
      loaded: observable,
      error: observableRef,
      filters: observable,
    });
  }

  setFilters(filters: Partial<AuditFilters>): void {
    runInAction(() => {
      this.filters = { ...this.filters, ...filters };
    });
  }

  /** Narrow to [from, to) (epoch ms), as picked on the histogram: the table and the histogram follow. */
  pickRange(from: number, to: number): Promise<unknown> {
    this.setFilters({ since: new Date(from).toISOString(), until: new Date(to).toISOString() });
    return this.load(true);
  }

  /** First page (reset) or the next one; a reset also counts the histogram again. */
  async load(reset = true): Promise<void> {
    if (!reset && !this.nextCursor) return;
    if (reset) void this.histogram.load();
    const cursor = reset ? undefined : (this.nextCursor ?? undefined);
    runInAction(() => {
      this.loading = true;
    });
    try {
      const page: AuditPage = await this.#client.auditPage({
        query: { ...this.filters, limit: String(this.#pageSize), ...(cursor ? { cursor } : {}) },
      });
      runInAction(() => {
        this.records = reset ? page.records : [...this.records, ...page.records];
        this.nextCursor = page.nextCursor;
        this.error = null;
        this.loaded = true;
      });
    } catch (error) {
      runInAction(() => {
        this.error = toBridgeError(error);
      });
    } finally {
      runInAction(() => {
        this.loading = false;
      });
    }
  }
}
