// The supervisor daemon: the composition root. It owns the CA, the vault, the policy
// layers, the approvals queue, every sandbox's proxy listener and the local API, and
// emits every governance event on one bus.

import { unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AgentInstaller, agentHandlers } from '../agents/index.ts';
import { VERSION } from '../api/version.ts';
import type { ApprovalQueue } from '../approvals/index.ts';
import type { AuditWriter } from '../audit/audit-writer.ts';
import type { AuditStore, SyncLedger } from '../audit/index.ts';
import type { DeviceOtlpExporter } from '../audit/otlp/device-exporter.ts';
import type { CertificateAuthority } from '../ca/index.ts';
import { EventBus } from '../events/index.ts';
import type { WardenPaths } from '../home/index.ts';
import { PackageService } from '../packages/index.ts';
import { type Logger, type ProxyServices, Resolver, UpstreamTrust } from '../proxy/index.ts';
import { RedactionService } from '../redact/index.ts';
import { ReplayService } from '../replay/index.ts';
import { clientEnv } from '../sandboxes/env.ts';
import {
  type ImageStore,
  SandboxCatalog,
  sandboxHandlers,
  type VmSandboxes,
  vmUpgrades,
} from '../sandboxes/index.ts';
import { PolicyLayers } from '../sandboxes/policy-layers.ts';
import { Sandboxes } from '../sandboxes/sandboxes.ts';
import { terminalSockets } from '../sandboxes/terminal-socket.ts';
import { SandboxTraffic } from '../sandboxes/traffic.ts';
import { PlaceholderRegistry } from '../secrets/index.ts';
import { ApiServer } from '../server/server.ts';
import { SpendService, spendHandlers, spendRulesOf } from '../spend/index.ts';
import { SyncLink } from '../sync/index.ts';
import type { ItApprovalRelay } from '../sync/it-relay.ts';
import { TaskBoard, taskHandlers } from '../tasks/index.ts';
import { ApiListeners } from './api-listeners.ts';
import { wireApprovals } from './approval-wiring.ts';
import { auditHandlers, auditSettled } from './audit-handlers.ts';
import { AuditTasks, auditTaskHandlers } from './audit-tasks.ts';
import type { DaemonOptions } from './daemon-options.ts';
import { type PreparedDaemon, prepareDaemon } from './daemon-prepare.ts';
import { exportHandlers, openDeviceExport } from './device-export.ts';
import { createHandlers } from './handlers.ts';
import { createLogger } from './logger.ts';
import { metricsHandlers } from './metrics-handlers.ts';
import { daemonOrganisation, type OrganisationSources } from './organisation-sources.ts';
import { presetHandlers } from './preset-handlers.ts';
import { replayHandlers } from './replay-handlers.ts';
import { SecretsSeam } from './secrets-seam.ts';
import { replaySpend } from './spend-replay.ts';
import { syncHandlers } from './sync-handlers.ts';
import { OneTimeCodes } from './ui-codes.ts';
import { uiSession } from './ui-session.ts';
import { findUiDir, staticFiles } from './ui-static.ts';
import { wireVms } from './vm-wiring.ts';

export class Daemon {
  readonly paths: WardenPaths;
  readonly bus: EventBus;
  readonly approvals: ApprovalQueue;
  readonly sandboxes: Sandboxes;
  readonly vms: VmSandboxes;
  readonly images: ImageStore;
  /** Long work (image builds, agent installs), shown with progress and cancel. */
  readonly tasks = new TaskBoard();
  /** Model spend: the meters of model API answers, the totals and the budgets. */
  readonly spend = new SpendService();
  readonly log: Logger;
  readonly ca: CertificateAuthority;
  /** The audit trail, read-only (queries, verify); writes go through the writer thread. */
  readonly audit: AuditStore;
  /** The team hub's sync link (off until enrolled); never on the proxy's path. */
  readonly sync: SyncLink;
  readonly #itRelay: ItApprovalRelay;
  readonly #auditTasks: AuditTasks;
  /** The device's own OTLP export (null: no `--otlp-export`). */
  readonly otlpExport: DeviceOtlpExporter | null;
  readonly organisation: OrganisationSources;
  readonly #ledger: SyncLedger;
  readonly #writer: AuditWriter;
  readonly #disposeAudit: () => void;
  readonly #api: ApiServer;
  readonly #listeners: ApiListeners;
  readonly #user: string;
  #stopping?: Promise<void>;
  /** Settles once every event emitted so far that the writer acknowledges is committed. */
  auditCommitted(): Promise<void> {
    return this.#writer.committed();
  }

  /**
   * Non-null when the daemon must fail closed: the audit writer's fault is the one source
   * (while the trail cannot be written, nothing new is let through).
   */
  get fault(): string | null {
    const fault = this.#writer.fault;
    return fault ? `the audit trail cannot be written: ${fault}` : null;
  }

  private constructor(args: PreparedDaemon & { opts: DaemonOptions }) {
    const { paths, ca, vault, opts, audit, writer, trust } = args;
    this.paths = paths;
    this.audit = audit;
    this.#writer = writer;
    this.#auditTasks = new AuditTasks({
      board: this.tasks,
      auditFile: paths.auditDb,
      anchorFile: audit.anchorFile,
      exportsDir: path.join(paths.home, 'exports'),
    });
    this.ca = ca;
    this.log = opts.log ?? createLogger();
    this.#user = opts.user ?? os.userInfo().username;
    this.bus = new EventBus((error, event) =>
      this.log.error('an event subscriber failed', { event: event.type, error: (error as Error).message }),
    );
    // The audit writer subscribes first: an event is recorded before anyone else sees it.
    this.#disposeAudit = writer.attach(this.bus);
    this.#ledger = args.ledger;
    let layers: PolicyLayers;
    this.organisation = daemonOrganisation(
      { ...opts, home: paths.home, log: this.log, ledger: args.ledger },
      () => layers,
    );
    this.sync = new SyncLink({
      organisation: this.organisation.hubReceiver,
      ledger: args.ledger,
      keyFile: paths.syncKeyFile,
      log: this.log,
      user: this.#user,
      version: VERSION,
      heartbeatMs: Number(process.env.WARDEN_SYNC_HEARTBEAT_MS) || undefined,
      ...opts.sync,
    });
    this.otlpExport = opts.otlpExport
      ? openDeviceExport(paths.auditDb, opts.otlpExport, (m) => this.log.warn(m))
      : null;
    // Only arms a timer: the link reads the store on its own connection, off the proxy's path.
    this.bus.subscribe(() => this.sync.notify());
    const emit = (e: Parameters<EventBus['emit']>[0]) => this.bus.emit(e);
    const secrets = new SecretsSeam(vault, new PlaceholderRegistry());
    // Assigned below; the queue's callbacks only run after construction.
    let sandboxes: Sandboxes;
    const { queue, relay } = wireApprovals({
      bus: this.bus,
      emit,
      sync: this.sync,
      log: this.log,
      reviewerHook: opts.reviewerHook,
      layers: () => layers,
      sandboxes: () => sandboxes,
    });
    this.approvals = queue;
    this.#itRelay = relay;
    const svc: ProxyServices = {
      emit,
      approvals: this.approvals,
      ca,
      resolver: new Resolver({ overrides: opts.resolve }),
      upstream: new UpstreamTrust(trust.extraCa),
      secrets,
      gate: () => this.fault,
      log: this.log,
      spend: this.spend,
      redaction: new RedactionService({ vaultValues: () => secrets.vaultValues() }),
      packages: new PackageService({ seenFile: path.join(paths.home, 'packages-seen.json') }),
      tunnelIdleMs: opts.tunnelIdleMs,
      nodeHttpClient: opts.nodeHttpClient,
    };
    const replayed = replaySpend(audit, this.spend.ledger, new Date());
    if (replayed > 0) this.log.info(`spend: ${replayed} metered requests read back from the audit trail`);
    this.bus.subscribe((e) => this.spend.record(e));
    sandboxes = new Sandboxes({
      svc,
      base: () => layers.base(),
      organisation: () => layers.organisation(),
      grant: (id, names) => secrets.grant(id, names),
      revoke: (id) => secrets.revoke(id),
      user: this.#user,
    });
    this.sandboxes = sandboxes;
    layers = new PolicyLayers({ sandboxes, basePath: paths.basePolicy, base: args.base, emit });
    const { images, agents, vms } = wireVms(opts, {
      home: paths.home,
      runDir: paths.runDir,
      tasks: this.tasks,
      secrets,
      sandboxes,
      caPem: ca.certPem,
      emit,
      log: this.log,
      user: this.#user,
    });
    this.images = images;
    this.vms = vms;
    const caBundle = path.join(paths.caDir, 'bundle.pem');
    const uiCodes = new OneTimeCodes();
    const session = uiSession({ codes: uiCodes, token: args.token, warn: (m) => this.log.warn(m) });
    const files = staticFiles(opts.uiDir ?? findUiDir());
    const catalog = new SandboxCatalog({
      sandboxes,
      vms: this.vms,
      listenHost: '127.0.0.1',
      promptsLastHour: (id) => this.approvals.promptsLastHour(id),
    });
    const traffic = new SandboxTraffic();
    this.bus.subscribe((e) => traffic.record(e));
    this.#api = new ApiServer({
      token: args.token,
      user: this.#user,
      subscribe: (l) => this.bus.subscribe(l),
      subscribeTasks: (l) => this.tasks.subscribe(l),
      upgrades: vmUpgrades({ vms: this.vms, emit, log: this.log }),
      websockets: terminalSockets({ vms: this.vms }),
      fallback: (req, res) => session(req, res) || files(req, res),
      settled: () => auditSettled(writer),
      handlers: {
        ...auditHandlers(audit, () => writer.fault),
        ...presetHandlers(),
        ...metricsHandlers({ catalog, vms: this.vms, traffic }),
        ...agentHandlers({
          store: agents,
          installer: new AgentInstaller({
            store: agents,
            vms: this.vms,
            cacheDir:
              opts.npmCacheDir ?? process.env.WARDEN_NPM_CACHE ?? path.join(paths.home, 'cache', 'npm'),
            log: (m) => this.log.info(m),
            tasks: this.tasks,
            traffic: (listener) => this.bus.subscribe(listener),
          }),
          emit,
        }),
        ...taskHandlers(this.tasks),
        ...auditTaskHandlers(this.#auditTasks),
        ...replayHandlers({
          replays: new ReplayService({ board: this.tasks, auditFile: paths.auditDb }),
          layers,
          approvals: this.approvals,
        }),
        ...spendHandlers(this.spend, () =>
          sandboxes.list().map((s) => ({
            sandboxId: s.identity.sandboxId,
            limits: spendRulesOf(s.policy()).limits,
          })),
        ),
        ...syncHandlers(this.sync, emit),
        ...exportHandlers(this.otlpExport),
        ...sandboxHandlers({
          sandboxes,
          vms: this.vms,
          images,
          layers,
          emit,
          catalog,
          envFor: (view) => clientEnv(view, { caCert: ca.certPath, caBundle }),
        }),
        ...createHandlers({
          home: paths.home,
          pid: process.pid,
          startedAt: new Date().toISOString(),
          user: this.#user,
          caCertPath: ca.certPath,
          caFingerprint: ca.fingerprint256,
          httpUrl: () => this.httpUrl,
          sandboxes,
          catalog,
          approvals: this.approvals,
          secrets,
          emit,
          layers,
          vmStatus: () => this.vms.status(),
          upstreamTrust: trust.stores,
          syncStatus: () => this.sync.status(),
          organisationStatus: () => this.organisation.status(),
          startUi: () => this.startHttp(),
          uiCode: () => ({ code: uiCodes.issue(), ttlMs: uiCodes.ttlMs }),
        }),
      },
    });
    this.#listeners = new ApiListeners(this.#api, this.log);
  }

  static async start(opts: DaemonOptions): Promise<Daemon> {
    const log = opts.log ?? createLogger();
    const prepared = await prepareDaemon(opts, log);
    const { paths, vault, trust } = prepared;
    const daemon = new Daemon({ ...prepared, opts: { ...opts, log } });
    await daemon.organisation.start();
    await daemon.#listeners.listenSocket(paths.socket);
    if (opts.httpPort !== undefined) await daemon.startHttp(opts.httpPort);
    await writeFile(paths.pidFile, `${process.pid}\n`, { mode: 0o600 });
    // After a crash (kill -9) of an earlier daemon: kill its QEMUs, then fill the warm pool.
    await daemon.vms.start();
    await daemon.sync.start();
    daemon.otlpExport?.start();
    daemon.bus.emit({
      type: 'daemon.started',
      time: new Date().toISOString(),
      user: daemon.#user,
      pid: process.pid,
      version: VERSION,
    });
    daemon.log.info('warden daemon started', {
      home: paths.home,
      socket: paths.socket,
      vault: vault.backend,
      upstreamTrust: trust.stores.map((s) => `${s.path ?? s.source}: ${s.certificates}`).join(', '),
    });
    return daemon;
  }

  /** The loopback HTTP listener (browser mode), started now if it is not running; its origin. */
  startHttp(httpPort = 0): Promise<string> {
    return this.#listeners.startHttp(httpPort);
  }

  get httpUrl(): string | undefined {
    return this.#listeners.httpUrl;
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.bus.emit({
        type: 'daemon.stopping',
        time: new Date().toISOString(),
        user: this.#user,
        pid: process.pid,
        version: VERSION,
      });
      this.approvals.cancelAll('the Warden daemon is stopping');
      this.#auditTasks.close();
      await this.vms.stopAll();
      await this.sandboxes.closeAll();
      await this.#api.close();
      this.sync.close();
      this.#itRelay.close();
      await this.otlpExport?.stop();
      this.organisation.close();
      // Every queued event is committed before the writer thread ends.
      this.#disposeAudit();
      try {
        this.#writer.close();
      } catch (error) {
        this.log.error('audit writer did not close cleanly', { error: (error as Error).message });
      }
      this.audit.close();
      this.#ledger.close();
      await unlink(this.paths.socket).catch(() => {});
      await unlink(this.paths.pidFile).catch(() => {});
      this.log.info('warden daemon stopped');
    })();
    return this.#stopping;
  }
}
