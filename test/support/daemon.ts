// A real supervisor daemon in this process, on a temporary $WARDEN_HOME, with its log
// captured so tests can check that no secret value was ever written.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { HostSandboxView, WardenEvent } from '../../supervisor/api/index.ts';
import { ApiClient } from '../../supervisor/client/api-client.ts';
import { Daemon, type DaemonOptions } from '../../supervisor/daemon/index.ts';
import { createLogger } from '../../supervisor/daemon/logger.ts';

/** A host sandbox (`POST /v1/sandboxes`, kind `host`): its view and its process's environment. */
export interface TestListener {
  listener: HostSandboxView;
  env: Record<string, string>;
}

export interface TestDaemon {
  daemon: Daemon;
  home: string;
  client: ApiClient;
  events: WardenEvent[];
  logs: string[];
  /** Create a host sandbox (a governed listener) with a project policy given as YAML. */
  listener(policyYaml?: string, opts?: { secrets?: string[]; label?: string }): Promise<TestListener>;
  stop(): Promise<void>;
}

export interface TestDaemonOptions {
  upstreamCa?: string[];
  resolve?: Record<string, string>;
  tunnelIdleMs?: number;
  /** Further daemon options (browser-mode port, warm pool size). */
  daemon?: Partial<Omit<DaemonOptions, 'home' | 'log'>>;
  /** Label of the listeners `listener()` creates (default `test`). */
  label?: string;
  homePrefix?: string;
  /** An existing state folder (a restart of a daemon stopped with `daemon.stop()`). */
  home?: string;
}

export async function startTestDaemon(opts: TestDaemonOptions = {}): Promise<TestDaemon> {
  const home = opts.home ?? (await mkdtemp(path.join(os.tmpdir(), opts.homePrefix ?? 'warden-home-')));
  const logs: string[] = [];
  const daemon = await Daemon.start({
    home,
    upstreamCa: opts.upstreamCa,
    resolve: new Map(Object.entries(opts.resolve ?? {}).map(([k, v]) => [k, [v]])),
    log: createLogger((line) => logs.push(line)),
    user: 'tester',
    tunnelIdleMs: opts.tunnelIdleMs,
    // test/proxy/node-http-client.test.ts runs the hostile suites against Node's client too.
    nodeHttpClient: process.env.WARDEN_TEST_NODE_HTTP_CLIENT === '1',
    // Tests boot the minimal image (test/vm/image.ts), not the full one.
    defaultImage: 'minimal',
    ...opts.daemon,
  });
  const events: WardenEvent[] = [];
  daemon.bus.subscribe((e) => events.push(e));
  const client = await ApiClient.fromFiles(daemon.paths.socket, daemon.paths.tokenFile);
  return {
    daemon,
    home,
    client,
    events,
    logs,
    async listener(policyYaml, o = {}) {
      const { sandbox, env } = await client.call('POST /v1/sandboxes', {
        body: {
          kind: 'host',
          label: o.label ?? opts.label ?? 'test',
          ...(policyYaml ? { policy: { yaml: policyYaml, source: path.join(home, 'project.yaml') } } : {}),
          secrets: o.secrets ?? [],
        },
      });
      if (sandbox.kind !== 'host' || !env) throw new Error(`expected a host sandbox, got ${sandbox.kind}`);
      return { listener: sandbox, env };
    },
    async stop() {
      await daemon.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** A minimal policy document around a list of rules (YAML). */
export function policyYaml(rules: string, extra: { default?: string; timeoutSeconds?: number } = {}): string {
  return [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    'metadata:',
    '  name: test',
    'spec:',
    '  network:',
    `    default: ${extra.default ?? 'deny'}`,
    '    rules:',
    ...rules
      .trim()
      .split('\n')
      .map((l) => `      ${l}`),
    ...(extra.timeoutSeconds ? ['  approvals:', `    timeoutSeconds: ${extra.timeoutSeconds}`] : []),
    '',
  ].join('\n');
}

/** Wait until `predicate` holds, polling; fails after `ms`. */
export async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
