// Validation of what the renderer sends over the bridge, before anything reaches the
// daemon: the argument's shape, the route's path params, the query (strings only), and
// the body against the same TypeBox schema the daemon's server validates it with.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { BRIDGE_METHODS, type BridgeError, type BridgeMethod } from '../supervisor/api/bridge.ts';
import { bodySchema } from '../supervisor/api/route-schemas.ts';
import type { RouteKey } from '../supervisor/api/routes.ts';

export interface ValidatedArgs {
  params: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/** A BridgeError for arguments the bridge refuses (status 400, one entry per bad field). */
export function invalidArguments(
  method: string,
  problems: Array<{ path: string; message: string }>,
): BridgeError {
  return {
    name: 'InvalidArguments',
    message: `${method}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
    status: 400,
    hint: 'the renderer sent arguments this bridge function does not accept',
    errors: problems.map((p) => ({ source: 'ipc', line: 0, column: 0, path: p.path, message: p.message })),
  };
}

const MAX_PARAM = 1_000;
const MAX_QUERY_KEYS = 50;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function ajvPath(error: ErrorObject): string {
  const base = `body${error.instancePath.replace(/\//g, '.')}`;
  const extra = (error.params as { additionalProperty?: string; missingProperty?: string }) ?? {};
  if (extra.additionalProperty) return `${base}.${extra.additionalProperty}`;
  if (extra.missingProperty) return `${base}.${extra.missingProperty}`;
  return base;
}

export class BridgeValidator {
  readonly #bodies = new Map<RouteKey, ValidateFunction>();
  readonly #paramNames = new Map<BridgeMethod, string[]>();

  constructor() {
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const [method, route] of Object.entries(BRIDGE_METHODS) as Array<[BridgeMethod, RouteKey]>) {
      const schema = bodySchema(route);
      if (schema && !this.#bodies.has(route)) this.#bodies.set(route, ajv.compile(schema));
      this.#paramNames.set(
        method,
        [...route.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!),
      );
    }
  }

  /** The checked arguments of a call, or a BridgeError naming every bad field. */
  validate(
    method: BridgeMethod,
    args: unknown,
  ): { ok: true; args: ValidatedArgs } | { ok: false; error: BridgeError } {
    const route = BRIDGE_METHODS[method] as RouteKey;
    const problems: Array<{ path: string; message: string }> = [];
    const input = args ?? {};
    if (!isPlainObject(input)) {
      return {
        ok: false,
        error: invalidArguments(method, [{ path: '(arguments)', message: 'must be an object' }]),
      };
    }
    for (const key of Object.keys(input)) {
      if (key !== 'params' && key !== 'query' && key !== 'body')
        problems.push({ path: key, message: 'is not an argument (expected params, query, body)' });
    }

    const names = this.#paramNames.get(method) ?? [];
    const params: Record<string, string> = {};
    const rawParams = input.params ?? {};
    if (!isPlainObject(rawParams)) problems.push({ path: 'params', message: 'must be an object' });
    else {
      for (const name of names) {
        const value = rawParams[name];
        if (typeof value !== 'string' || value.length === 0)
          problems.push({ path: `params.${name}`, message: 'must be a non-empty string' });
        else if (value.length > MAX_PARAM)
          problems.push({ path: `params.${name}`, message: `must be at most ${MAX_PARAM} characters` });
        else params[name] = value;
      }
      for (const key of Object.keys(rawParams)) {
        if (!names.includes(key))
          problems.push({ path: `params.${key}`, message: 'is not a parameter of this route' });
      }
    }

    let query: Record<string, string> | undefined;
    if (input.query !== undefined) {
      if (!isPlainObject(input.query)) problems.push({ path: 'query', message: 'must be an object' });
      else {
        const entries = Object.entries(input.query);
        if (entries.length > MAX_QUERY_KEYS) problems.push({ path: 'query', message: 'has too many keys' });
        query = {};
        for (const [k, v] of entries) {
          if (v === undefined) continue;
          if (typeof v !== 'string') problems.push({ path: `query.${k}`, message: 'must be a string' });
          else query[k] = v;
        }
      }
    }

    const validateBody = this.#bodies.get(route);
    if (validateBody) {
      if (input.body === undefined) problems.push({ path: 'body', message: 'is required' });
      else if (!validateBody(input.body)) {
        // An `if` error only says the then/else schema failed; that schema's errors say why.
        for (const e of validateBody.errors ?? [])
          if (e.keyword !== 'if') problems.push({ path: ajvPath(e), message: e.message ?? 'is invalid' });
      }
    } else if (input.body !== undefined) {
      problems.push({ path: 'body', message: 'is not accepted by this route' });
    }

    if (problems.length > 0) return { ok: false, error: invalidArguments(method, problems) };
    return {
      ok: true,
      args: { params, ...(query ? { query } : {}), ...(validateBody ? { body: input.body } : {}) },
    };
  }
}
