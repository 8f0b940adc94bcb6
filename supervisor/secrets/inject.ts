// Secret injection, per request (security model rule 1). Pure: no I/O, no events; the proxy
// blocks the request when `violations` is not empty and audits both lists.
//
// - A placeholder (in any case, percent-encoded or in base64) sent to a host its secret is
//   not bound to, a placeholder of another sandbox, of a secret this sandbox was not granted,
//   or an unknown `wdn_ph_` token is a violation.
// - On a bound host over intercepted TLS, placeholders in the secret's target (Authorization,
//   the named header, the value of the named query parameter) are replaced by the value
//   (also inside an `Authorization: Basic` credential); elsewhere they are left as they are.
// - A value goes only where its placeholder is: a request without the placeholder gets
//   nothing added, whoever sends it to the bound host.
// - A tls-client secret's placeholder sent as the whole Bearer credential to a bound host
//   removes the Authorization header: the proxy presents the certificate on the connection.
// - Over plain HTTP nothing is ever injected, and a placeholder of a bound secret is a
//   violation (`where: 'plain-http'`): secrets are only sent over HTTPS.

import type { SecretView } from '../api/messages.ts';
import { findPlaceholdersDeep } from './encoded-scan.ts';
import type { PlaceholderRegistry } from './placeholders.ts';
import { findPlaceholders, PLACEHOLDER_LENGTH, PLACEHOLDER_PATTERN } from './scanner.ts';
import { parseInjectMode } from './validate.ts';

export type HeaderMap = Record<string, string | string[] | undefined>;

/** What injection needs from the vault (the Vault class provides it). */
export interface SecretSource {
  get(name: string): SecretView | undefined;
  /** Does one of the secret's host patterns match `host`? */
  isBound(name: string, host: string): boolean;
  reveal(name: string): string;
}

export interface SecretRequest {
  sandboxId: string;
  host: string;
  /** TLS terminated by the proxy (true), or plain HTTP (false). */
  intercepted: boolean;
  headers: HeaderMap;
  /** Path and query. */
  url: string;
}

export interface InjectionContext {
  registry: PlaceholderRegistry;
  vault: SecretSource;
  /** Secret names this sandbox may use. */
  granted: readonly string[];
}

export type ViolationReason =
  | 'unbound-host'
  | 'plain-http'
  | 'foreign-sandbox'
  | 'not-granted'
  | 'unknown-secret'
  | 'unknown-placeholder';

export interface SecretViolation {
  /** The secret's name; `(unknown)` for a token no sandbox was given. */
  secret: string;
  /** Header name (lower case), `url`, or `plain-http`. */
  where: string;
  reason: ViolationReason;
}

export interface InjectionResult {
  headers: HeaderMap;
  url: string;
  /** Names of the secrets whose values were put into the request. */
  injected: string[];
  violations: SecretViolation[];
}

export const UNKNOWN_SECRET = '(unknown)';

const BASIC = /^(\s*basic\s+)([A-Za-z0-9+/_-]+={0,2})(\s*)$/i;
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization']);

interface Found {
  placeholder: string;
  where: string;
}

export function applySecrets(input: SecretRequest, ctx: InjectionContext): InjectionResult {
  const found = collect(input);
  if (found.length === 0) {
    // Nothing to check or replace (most requests): the same copy the full path would make.
    const headers: HeaderMap = {};
    for (const [name, value] of Object.entries(input.headers)) {
      headers[name] = Array.isArray(value) ? [...value] : value;
    }
    return { headers, url: input.url, injected: [], violations: [] };
  }
  const violations: SecretViolation[] = [];
  /** placeholder → secret name, for the ones that may be replaced. */
  const replaceable = new Map<string, string>();
  const addViolation = (v: SecretViolation) => {
    if (!violations.some((o) => o.secret === v.secret && o.where === v.where && o.reason === v.reason)) {
      violations.push(v);
    }
  };

  for (const { placeholder, where } of found) {
    const owner = ctx.registry.lookup(placeholder);
    if (!owner) {
      addViolation({ secret: UNKNOWN_SECRET, where, reason: 'unknown-placeholder' });
      continue;
    }
    const secret = owner.secretName;
    if (owner.sandboxId !== input.sandboxId) {
      addViolation({ secret, where, reason: 'foreign-sandbox' });
      continue;
    }
    if (!ctx.granted.includes(secret)) {
      addViolation({ secret, where, reason: 'not-granted' });
      continue;
    }
    const view = ctx.vault.get(secret);
    if (!view) {
      addViolation({ secret, where, reason: 'unknown-secret' });
      continue;
    }
    if (!ctx.vault.isBound(secret, input.host)) {
      addViolation({ secret, where, reason: 'unbound-host' });
      continue;
    }
    if (!input.intercepted) {
      addViolation({ secret, where: 'plain-http', reason: 'plain-http' });
      continue;
    }
    replaceable.set(placeholder, secret);
  }

  if (violations.length > 0 || !input.intercepted) {
    return { headers: { ...input.headers }, url: input.url, injected: [], violations };
  }

  const injected: string[] = [];
  const values = new Map<string, string>();
  const secretValue = (secret: string) => {
    let value = values.get(secret);
    if (value === undefined) {
      value = ctx.vault.reveal(secret);
      values.set(secret, value);
      if (!injected.includes(secret)) injected.push(secret);
    }
    return value;
  };

  // (b) Replace placeholders where the agent put them, but only in the secret's own target
  // (Authorization, the named header, the value of the named query parameter): a placeholder
  // elsewhere (the path, another parameter, a body-like header) is forwarded unreplaced, so an
  // upstream that echoes its input cannot reflect the value back into the sandbox.
  const targetOf = (secret: string): string | undefined => {
    const view = ctx.vault.get(secret);
    if (!view) return undefined;
    try {
      const mode = parseInjectMode(view.inject);
      if (mode.kind === 'bearer' || mode.kind === 'basic') return 'authorization';
      if (mode.kind === 'header') return mode.name.toLowerCase();
      // A client certificate is presented on the connection, never put into a request.
      if (mode.kind === 'tls-client') return undefined;
      return 'url';
    } catch {
      return undefined;
    }
  };
  const only = (target: string) =>
    new Map([...replaceable].filter(([, secret]) => targetOf(secret) === target));
  const paramOf = (secret: string): string | undefined => {
    const view = ctx.vault.get(secret);
    const mode = view ? parseInjectMode(view.inject) : undefined;
    return mode?.kind === 'query' ? mode.param : undefined;
  };
  const headers: HeaderMap = {};
  for (const [name, value] of Object.entries(input.headers)) {
    if (value === undefined) {
      headers[name] = value;
      continue;
    }
    const lower = name.toLowerCase();
    const presented = lower === 'authorization' ? tlsClientBearer(value, replaceable, ctx.vault) : undefined;
    if (presented !== undefined) {
      // The proxy presents this secret's certificate on the connection: the stand-in goes.
      if (!injected.includes(presented)) injected.push(presented);
      continue;
    }
    const here = only(lower);
    const one = (v: string) => replaceInHeader(lower, v, here, secretValue);
    headers[name] = Array.isArray(value) ? value.map(one) : one(value);
  }
  let url = input.url;
  for (const [placeholder, secret] of only('url')) {
    const param = paramOf(secret);
    if (param === undefined) continue;
    url = replaceInQueryParam(url, param, placeholder, () => encodeURIComponent(secretValue(secret)));
  }

  return { headers, url, injected, violations };
}

const BEARER_ONLY = /^\s*bearer\s+(wdn_ph_[0-9a-z]{40})\s*$/i;

/**
 * The tls-client secret whose placeholder is the whole of a Bearer credential (a client
 * that must send some credential, like kubectl, holds it): the header is dropped, since the
 * proxy presents that secret's certificate itself.
 */
function tlsClientBearer(
  value: string | string[],
  replaceable: Map<string, string>,
  vault: SecretSource,
): string | undefined {
  if (Array.isArray(value)) return undefined;
  const m = BEARER_ONLY.exec(value);
  const secret = m ? replaceable.get(m[1]!) : undefined;
  return secret !== undefined && vault.get(secret)?.inject === 'tls-client' ? secret : undefined;
}

/**
 * Every placeholder-shaped token in header names and values (and Basic credentials), the URL
 * and the host name, also in another case, percent-encoded or in base64 (encoded-scan.ts).
 */
function collect(input: SecretRequest): Found[] {
  const found: Found[] = [];
  for (const [name, value] of Object.entries(input.headers)) {
    if (value === undefined) continue;
    const where = name.toLowerCase();
    for (const placeholder of findPlaceholdersDeep(name)) found.push({ placeholder, where: 'header name' });
    for (const v of Array.isArray(value) ? value : [value]) {
      for (const placeholder of findPlaceholdersDeep(v)) found.push({ placeholder, where });
      if (CREDENTIAL_HEADERS.has(where)) {
        const decoded = decodeBasic(v);
        if (decoded) for (const placeholder of findPlaceholders(decoded)) found.push({ placeholder, where });
      }
    }
  }
  for (const placeholder of findPlaceholdersDeep(input.url)) found.push({ placeholder, where: 'url' });
  // A host name carries data too (its labels reach DNS and the upstream's SNI).
  for (const placeholder of findPlaceholdersDeep(input.host)) found.push({ placeholder, where: 'host' });
  return found;
}

/** A Basic credential's bytes, when they are long enough to hold a placeholder (most are not). */
function decodeBasic(value: string): Buffer | undefined {
  const m = BASIC.exec(value);
  const encoded = m?.[2] ?? '';
  // Base64 of n characters decodes to at most 3n/4 bytes.
  if (encoded.length * 3 < PLACEHOLDER_LENGTH * 4) return undefined;
  return Buffer.from(encoded, 'base64');
}

function replaceText(
  text: string,
  replaceable: Map<string, string>,
  value: (secret: string) => string,
): string {
  if (replaceable.size === 0) return text;
  return text.replace(PLACEHOLDER_PATTERN, (token) => {
    const secret = replaceable.get(token);
    return secret === undefined ? token : value(secret);
  });
}

function replaceInHeader(
  lowerName: string,
  value: string,
  replaceable: Map<string, string>,
  secretValue: (secret: string) => string,
): string {
  let out = replaceText(value, replaceable, secretValue);
  if (CREDENTIAL_HEADERS.has(lowerName)) {
    const m = BASIC.exec(out);
    const decoded = m ? Buffer.from(m[2] ?? '', 'base64') : undefined;
    if (m && decoded && findPlaceholders(decoded).length > 0) {
      // Byte-exact: work on the decoded bytes as latin1, put the value in as UTF-8 bytes.
      const replaced = replaceText(decoded.toString('latin1'), replaceable, (secret) =>
        Buffer.from(secretValue(secret), 'utf8').toString('latin1'),
      );
      out = `${m[1]}${Buffer.from(replaced, 'latin1').toString('base64')}${m[3]}`;
    }
  }
  return out;
}

function splitUrl(url: string): { base: string; query: string | undefined; fragment: string } {
  const hash = url.indexOf('#');
  const fragment = hash === -1 ? '' : url.slice(hash);
  const rest = hash === -1 ? url : url.slice(0, hash);
  const q = rest.indexOf('?');
  return q === -1
    ? { base: rest, query: undefined, fragment }
    : { base: rest.slice(0, q), query: rest.slice(q + 1), fragment };
}

/**
 * Replace `placeholder` in the values of the query parameters named `param`, nowhere else.
 * `encoded` is asked for only when there is something to replace (asking reveals the value
 * and counts it as injected).
 */
function replaceInQueryParam(url: string, param: string, placeholder: string, encoded: () => string): string {
  const { base, query, fragment } = splitUrl(url);
  if (query === undefined || query === '') return url;
  const pairs = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq === -1 || queryKey(pair.slice(0, eq)) !== param) return pair;
    const value = pair.slice(eq + 1);
    return value.includes(placeholder)
      ? `${pair.slice(0, eq + 1)}${value.split(placeholder).join(encoded())}`
      : pair;
  });
  return `${base}?${pairs.join('&')}${fragment}`;
}

function queryKey(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}
