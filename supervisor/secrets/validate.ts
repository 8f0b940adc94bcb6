// Validation of what a secret is made of. Messages name the field, never the value.

import type { InjectMode } from '../api/messages.ts';
import { parseMatch } from '../policy/index.ts';
import { SecretValidationError } from './errors.ts';

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
/** RFC 9110 `token`: what a header field name may be made of. */
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Query parameter names: unreserved characters only, so they need no encoding. */
const QUERY_PARAM = /^[A-Za-z0-9_.~-]{1,128}$/;
/** Headers whose value frames or routes the message: a secret must never be put there. */
const FORBIDDEN_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-connection',
  'cookie2',
]);

export type ParsedInject =
  | { kind: 'bearer' }
  | { kind: 'basic' }
  | { kind: 'tls-client' }
  | { kind: 'header'; name: string }
  | { kind: 'query'; param: string };

export function validateSecretName(name: unknown): string {
  if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
    throw new SecretValidationError(
      `invalid secret name ${JSON.stringify(typeof name === 'string' ? name.slice(0, 80) : name)}: ` +
        'use a letter or "_" first, then letters, digits, "_", "." or "-" (at most 64 characters)',
      'name',
    );
  }
  return name;
}

/**
 * Validate and normalize the hosts a secret is bound to: exact host names, single IP
 * addresses, `*.domain` (one label) or `**.domain` (any depth). No scheme, port, `*` or range.
 */
export function normalizeSecretHosts(hosts: unknown): string[] {
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new SecretValidationError('a secret must be bound to at least one host', 'hosts');
  }
  const out: string[] = [];
  hosts.forEach((host, i) => {
    const field = `hosts[${i}]`;
    if (typeof host !== 'string') throw new SecretValidationError(`${field} must be a string`, field);
    const parsed = parseMatch(host);
    if ('error' in parsed) throw new SecretValidationError(`${field}: ${parsed.error}`, field);
    if (parsed.scheme || parsed.port) {
      throw new SecretValidationError(
        `${field} ${JSON.stringify(host)}: give the host only (no scheme or port); secrets are only sent over HTTPS`,
        field,
      );
    }
    if (parsed.host.kind === 'any' || parsed.host.kind === 'cidr') {
      throw new SecretValidationError(
        `${field} ${JSON.stringify(host)}: a secret must be bound to named hosts, not to any host or an address range`,
        field,
      );
    }
    if (!out.includes(parsed.hostText)) out.push(parsed.hostText);
  });
  return out;
}

export function parseInjectMode(inject: unknown): ParsedInject {
  if (inject === 'bearer' || inject === 'basic' || inject === 'tls-client') return { kind: inject };
  if (typeof inject === 'string') {
    if (inject.startsWith('header:')) {
      const name = inject.slice('header:'.length);
      if (!HEADER_TOKEN.test(name)) {
        throw new SecretValidationError(
          `inject ${JSON.stringify(inject)}: ${JSON.stringify(name)} is not a valid header name`,
          'inject',
        );
      }
      if (FORBIDDEN_HEADERS.has(name.toLowerCase())) {
        throw new SecretValidationError(
          `inject ${JSON.stringify(inject)}: the ${name} header cannot carry a secret`,
          'inject',
        );
      }
      return { kind: 'header', name };
    }
    if (inject.startsWith('query:')) {
      const param = inject.slice('query:'.length);
      if (!QUERY_PARAM.test(param)) {
        throw new SecretValidationError(
          `inject ${JSON.stringify(inject)}: ${JSON.stringify(param)} is not a valid query parameter name (letters, digits, "_", ".", "~", "-")`,
          'inject',
        );
      }
      return { kind: 'query', param };
    }
  }
  throw new SecretValidationError(
    `invalid inject mode ${JSON.stringify(inject)}: expected bearer, basic, tls-client, header:NAME or query:PARAM`,
    'inject',
  );
}

export function formatInjectMode(inject: ParsedInject): InjectMode {
  switch (inject.kind) {
    case 'bearer':
    case 'basic':
    case 'tls-client':
      return inject.kind;
    case 'header':
      return `header:${inject.name}`;
    case 'query':
      return `query:${inject.param}`;
  }
}

/** A value must be non-empty and safe in a header (no CR, LF or NUL); basic needs `user:password`. */
export function validateSecretValue(value: unknown, inject: ParsedInject): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new SecretValidationError('the secret value must be a non-empty string', 'value');
  }
  if (/[\r\n\0]/.test(value)) {
    throw new SecretValidationError(
      'the secret value must not contain line breaks or NUL characters',
      'value',
    );
  }
  if (inject.kind === 'tls-client') clientCertificateOf(value);
  if (inject.kind === 'basic' && !value.includes(':')) {
    throw new SecretValidationError('a basic secret value must have the form user:password', 'value');
  }
  return value;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PEM_KEY = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/g;

/**
 * A tls-client secret's value: the base64 of a PEM text holding the client certificate (and
 * its chain) and one unencrypted private key, as a kubeconfig's client-certificate-data and
 * client-key-data are joined. Throws a SecretValidationError that never quotes the value.
 */
export function clientCertificateOf(value: string): { cert: string; key: string } {
  const text = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64').toString('latin1') : '';
  const certs = text.match(PEM_CERT) ?? [];
  const keys = text.match(PEM_KEY) ?? [];
  if (certs.length === 0 || keys.length !== 1 || keys[0]!.includes('ENCRYPTED')) {
    throw new SecretValidationError(
      'a tls-client secret value is the base64 of a PEM text with the client certificate and one unencrypted private key',
      'value',
    );
  }
  return { cert: certs.join('\n'), key: keys[0]! };
}
