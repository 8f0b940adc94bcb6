// What a proxy listener needs from the rest of the supervisor, passed in by the daemon.
// The proxy decides nothing on its own: the policy decides, approvals ask the human,
// the injector swaps placeholders, and every outcome is emitted on the bus.

import type { SecureContext } from 'node:tls';
import type { Identity, WardenEvent } from '../api/index.ts';
import type { ApprovalQueue } from '../approvals/index.ts';
import type { PackageService } from '../packages/index.ts';
import type { Policy } from '../policy/index.ts';
import type { RedactionService } from '../redact/index.ts';
import type { SpendService } from '../spend/index.ts';
import type { ProxyCredential } from './credential.ts';
import type { Resolver } from './resolver.ts';
import type { UpstreamPool, UpstreamTrust } from './upstream.ts';

/** The sandbox (agent identity) a listener belongs to. */
export interface SandboxContext {
  identity: Identity;
  /** The sandbox's current resolved policy (base, project and session layers). */
  policy(): Policy;
  /** Names of the secrets this sandbox was granted. */
  secrets(): string[];
  /** Where a new rule for this sandbox would go, for the hints in a 403. */
  policySource(): string | undefined;
  /** What its clients authenticate to the listener with; nobody else holds it. */
  readonly proxyCredential: ProxyCredential;
}

/** An exchange that was decided and has not ended yet; closing its listener ends it. */
export interface OpenExchange {
  end(reason: string): void;
}

/** The exchanges of one listener owner that were decided and have not ended yet. */
export type OpenRecords = Set<OpenExchange>;

/**
 * Who a connection belongs to: its sandbox, and the upstream connections only that
 * sandbox may use. Fixed when the connection is accepted.
 */
export interface ConnectionOwner {
  sandbox: SandboxContext;
  upstream: UpstreamPool;
  /** Its exchanges decided and not ended yet; the listener ends them when it closes. */
  records: OpenRecords;
  /**
   * Client connections that presented the credential, with the exact header they sent it
   * as: a later request on the same connection with the same header skips the digest.
   */
  authenticated: WeakMap<object, string>;
}

export interface HeaderMap {
  [name: string]: string | string[] | undefined;
}

export interface SecretApplyResult {
  headers: HeaderMap;
  url: string;
  injected: string[];
  violations: Array<{ secret: string; where: string }>;
}

/** Redaction of real secret values in what a bound host sends back to the sandbox. */
export interface ResponseRedactor {
  /** Redact raw header values in place; returns the secrets found and the (lower-case) header. */
  headers(raw: string[]): Array<{ secret: string; header: string }>;
  /** A same-length redactor for a body or a WebSocket payload stream. */
  stream(onFound: (secret: string) => void): { push(chunk: Buffer): Buffer; end(): Buffer };
}

/** The seam to supervisor/secrets: placeholder swap and exfiltration detection. */
export interface SecretInjector {
  apply(
    input: { sandboxId: string; host: string; intercepted: boolean; headers: HeaderMap; url: string },
    granted: string[],
  ): SecretApplyResult;
  /**
   * A scanner for a streamed request body or WebSocket payloads to `host` (finds
   * placeholders split across chunks, in any case, percent-encoded or in base64); it returns
   * the violations: placeholders of secrets not bound to `host`.
   */
  bodyScanner(
    sandboxId: string,
    host: string,
  ): {
    push(chunk: Buffer): Array<{ secret: string; where: string }>;
    /** What was held back to find a token cut across chunks, at the end of the body. */
    end(): Array<{ secret: string; where: string }>;
  };
  /**
   * A redactor for answers from `host` when secrets of `granted` are bound to it (their
   * values may come back in an echo); undefined when none is.
   */
  redactor(host: string, granted: string[]): ResponseRedactor | undefined;
  /**
   * The certificate and key of a tls-client secret the sandbox was granted and that is bound
   * to `host`, for the proxy to present there; otherwise why not (never the value).
   */
  clientCertificate(
    name: string,
    host: string,
    granted: string[],
  ): { cert: string; key: string } | { error: string };
  /** True when the sandbox holds placeholders, so every TLS tunnel must be inspected. */
  holdsPlaceholders(sandboxId: string): boolean;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface ProxyServices {
  emit(event: WardenEvent): void;
  approvals: ApprovalQueue;
  ca: { secureContextFor(host: string): Promise<SecureContext> };
  resolver: Resolver;
  /** Upstream TLS trust; each listener builds its own pools on it. */
  upstream: UpstreamTrust;
  secrets: SecretInjector;
  /** Non-null: the reason to fail closed (e.g. the audit store cannot write). */
  gate(): string | null;
  log: Logger;
  /** Model spend: meters model API answers and holds the budgets (absent: nothing metered). */
  spend?: SpendService;
  /** spec.redact: masks or blocks what request bodies to model API hosts carry (absent: nothing redacted). */
  redaction?: RedactionService;
  /** Package rules (spec.packages): npm registry requests decoded and judged (absent: none). */
  packages?: PackageService;
  /** How long a tunnel may stay silent before its first byte, TLS handshake or request headers (default 30 s). */
  tunnelIdleMs?: number;
  /**
   * Plain-HTTP forward requests go through Node's http client instead of the proxy's own
   * (raw-pool.ts): for tests that hold both clients to the same hostile cases.
   */
  nodeHttpClient?: boolean;
}
