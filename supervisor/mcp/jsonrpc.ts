// JSON-RPC 2.0 as MCP's streamable HTTP transport carries it in a POST body: one message or
// a batch. A body that is not JSON, or holds anything but well-formed messages, is refused
// whole (nothing of it is forwarded); the messages Warden decides about are re-serialized
// from what it parsed, so the server reads exactly what was decided (no duplicate keys).

import type { McpMethod } from '../api/index.ts';

/** Most bytes of one request body to an MCP server. */
export const MAX_MCP_REQUEST_BYTES = 4 * 1024 * 1024;
/** Most messages in one batch (the SDK's own limit). */
export const MAX_MCP_BATCH = 100;

export type JsonRpcId = string | number | null;

/** JSON-RPC error codes Warden answers with. */
export const RPC = {
  parseError: -32700,
  invalidRequest: -32600,
  invalidParams: -32602,
  /** In the range JSON-RPC leaves to implementations: a call the policy refused. */
  refused: -32001,
} as const;

export type JsonRpcMessage = Record<string, unknown> & { jsonrpc: '2.0' };

export type Parsed =
  | { kind: 'request'; id: string | number; method: string; params: unknown; message: JsonRpcMessage }
  | { kind: 'notification'; method: string; message: JsonRpcMessage }
  | { kind: 'response'; id: JsonRpcId; message: JsonRpcMessage };

export type BodyParse =
  | { ok: true; batch: boolean; messages: Parsed[] }
  | { ok: false; status: 400 | 413; code: number; message: string };

export const GOVERNED: readonly McpMethod[] = ['tools/call', 'resources/read', 'prompts/get'];

function isId(v: unknown): v is string | number {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One message of a body, or why it is not a JSON-RPC 2.0 message. */
export function classify(value: unknown): Parsed | { invalid: string } {
  if (!isObject(value)) return { invalid: 'a JSON-RPC message must be an object' };
  if (value.jsonrpc !== '2.0') return { invalid: 'a JSON-RPC message must have "jsonrpc": "2.0"' };
  const message = value as JsonRpcMessage;
  if ('method' in value) {
    if (typeof value.method !== 'string' || value.method === '')
      return { invalid: '"method" must be a non-empty string' };
    if ('result' in value || 'error' in value)
      return { invalid: 'a request cannot carry "result" or "error"' };
    if ('params' in value && !isObject(value.params) && !Array.isArray(value.params))
      return { invalid: '"params" must be an object or an array' };
    if (!('id' in value)) return { kind: 'notification', method: value.method, message };
    if (!isId(value.id)) return { invalid: 'a request "id" must be a string or a number' };
    return { kind: 'request', id: value.id, method: value.method, params: value.params, message };
  }
  if (!('id' in value) || !(isId(value.id) || value.id === null))
    return { invalid: 'a response needs an "id" (string, number or null)' };
  if ('result' in value === 'error' in value)
    return { invalid: 'a response carries exactly one of "result" and "error"' };
  return { kind: 'response', id: value.id as JsonRpcId, message };
}

/** Parse a POST body: refuse it whole when it is too large, not JSON, or not JSON-RPC. */
export function parseBody(body: Buffer): BodyParse {
  if (body.length > MAX_MCP_REQUEST_BYTES) {
    return {
      ok: false,
      status: 413,
      code: RPC.invalidRequest,
      message: `the request body is larger than ${MAX_MCP_REQUEST_BYTES} bytes, which Warden reads to govern MCP calls; send smaller messages`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return {
      ok: false,
      status: 400,
      code: RPC.parseError,
      message: 'Parse error: the body is not JSON, so Warden cannot govern it',
    };
  }
  const batch = Array.isArray(value);
  const items = batch ? (value as unknown[]) : [value];
  if (items.length === 0)
    return { ok: false, status: 400, code: RPC.invalidRequest, message: 'Invalid Request: an empty batch' };
  if (items.length > MAX_MCP_BATCH) {
    return {
      ok: false,
      status: 400,
      code: RPC.invalidRequest,
      message: `Invalid Request: a batch of ${items.length} messages; Warden governs at most ${MAX_MCP_BATCH} in one body`,
    };
  }
  const messages: Parsed[] = [];
  for (const [i, item] of items.entries()) {
    const parsed = classify(item);
    if ('invalid' in parsed) {
      const where = batch ? ` (message ${i + 1} of the batch)` : '';
      return {
        ok: false,
        status: 400,
        code: RPC.invalidRequest,
        message: `Invalid Request: ${parsed.invalid}${where}`,
      };
    }
    messages.push(parsed);
  }
  return { ok: true, batch, messages };
}

/** A JSON-RPC error response. */
export function errorResponse(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcMessage {
  return { jsonrpc: '2.0', id, error: { code, message, ...(data === undefined ? {} : { data }) } };
}

/** What a governed request calls: its method and the tool/prompt name or resource URI, or why it cannot be read. */
export function callTarget(
  p: Extract<Parsed, { kind: 'request' }>,
): { method: McpMethod; name: string } | { bad: string } | null {
  const method = GOVERNED.find((m) => m === p.method);
  if (!method) return null;
  const params = p.params;
  const key = method === 'resources/read' ? 'uri' : 'name';
  const value = isObject(params) ? params[key] : undefined;
  if (typeof value !== 'string' || value === '') return { bad: `${method} needs a string "params.${key}"` };
  const problem = nameProblem(value);
  if (problem) return { bad: `the ${key} of this ${method} ${problem}` };
  return { method, name: value };
}

/** Why a tool/prompt name or resource URI is not let through, or null. */
export function nameProblem(value: string): string | null {
  if (value.length > 1024) return 'is longer than 1024 characters';
  if (/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/u.test(value))
    return 'holds control or invisible characters, which Warden does not let through';
  return null;
}
