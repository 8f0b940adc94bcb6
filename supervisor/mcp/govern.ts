// The heart of MCP governance: decide each governed call of a request body (tools/call,
// resources/read, prompts/get) by spec.mcp, asking a human where it says ask; answer the
// refused ones with JSON-RPC errors under their own ids; and take from every answer the
// server sends the list entries (tools, prompts, resources) the policy denies outright.

import type { McpMethod, McpRuleRef, RequestOutcome } from '../api/index.ts';
import {
  callTarget,
  errorResponse,
  type JsonRpcId,
  type JsonRpcMessage,
  nameProblem,
  type Parsed,
  RPC,
} from './jsonrpc.ts';
import type { McpDecision, McpServer } from './servers.ts';

/** One governed call as read from the body. */
export interface McpCall {
  method: McpMethod;
  name: string;
  callId: JsonRpcId;
  /** `params.arguments` of a tools/call or prompts/get (absent for resources/read). */
  arguments?: unknown;
  /** Size of the arguments as JSON. */
  argumentBytes: number;
}

export interface CallVerdict {
  allowed: boolean;
  outcome: RequestOutcome;
  rule: McpRuleRef | null;
  reason: string;
  decidedBy: 'policy' | 'approval' | 'proxy';
  approvalId?: string;
}

/** Holds a call the policy asks about until a human answers (or the wait ends). */
export type McpAsker = (call: McpCall, decision: McpDecision) => Promise<CallVerdict>;

export interface Governed {
  /** The messages to forward, in their order (re-serialized from what was parsed). */
  forward: JsonRpcMessage[];
  /** JSON-RPC errors for the refused calls, for the client. */
  refusals: JsonRpcMessage[];
  /** Every governed call with its verdict, for the audit trail. */
  calls: Array<{ call: McpCall; verdict: CallVerdict }>;
}

function argumentsOf(params: unknown): unknown {
  return typeof params === 'object' && params !== null && !Array.isArray(params)
    ? (params as Record<string, unknown>).arguments
    : undefined;
}

function refusalMessage(
  call: { method: string; name: string },
  server: McpServer,
  verdict: CallVerdict,
): string {
  const what = call.method === 'tools/call' ? 'tool' : call.method === 'prompts/get' ? 'prompt' : 'resource';
  const how =
    verdict.outcome === 'timed_out'
      ? 'held and not answered'
      : verdict.outcome === 'error'
        ? 'could not let through'
        : 'denied';
  return `Warden ${how} the MCP ${what} "${call.name}" on server ${server.name}: ${verdict.reason}`;
}

/** Decide every message of a parsed body; calls that ask are held at the same time. */
export async function governRequest(server: McpServer, messages: Parsed[], ask: McpAsker): Promise<Governed> {
  const slots: Array<
    Promise<{ keep?: JsonRpcMessage; refusal?: JsonRpcMessage; call?: McpCall; verdict?: CallVerdict }>
  > = messages.map(async (m) => {
    if (m.kind !== 'request') return { keep: m.message };
    const target = callTarget(m);
    if (target === null) return { keep: m.message };
    if ('bad' in target) {
      return { refusal: errorResponse(m.id, RPC.invalidParams, `Warden refused this call: ${target.bad}`) };
    }
    const args = argumentsOf(m.params);
    const call: McpCall = {
      method: target.method,
      name: target.name,
      callId: m.id,
      argumentBytes: args === undefined ? 0 : Buffer.byteLength(JSON.stringify(args)),
      ...(args === undefined ? {} : { arguments: args }),
    };
    const decision = server.decide(target.method, target.name);
    let verdict: CallVerdict;
    if (decision.action === 'allow') {
      verdict = {
        allowed: true,
        outcome: 'allowed',
        rule: decision.rule,
        reason: decision.reason,
        decidedBy: 'policy',
      };
    } else if (decision.action === 'deny') {
      verdict = {
        allowed: false,
        outcome: 'denied',
        rule: decision.rule,
        reason: decision.reason,
        decidedBy: 'policy',
      };
    } else {
      verdict = await ask(call, decision);
    }
    if (verdict.allowed) return { keep: m.message, call, verdict };
    const data = {
      warden: {
        outcome: verdict.outcome,
        reason: verdict.reason,
        rule: verdict.rule,
        ...(verdict.approvalId ? { approvalId: verdict.approvalId } : {}),
      },
    };
    return {
      refusal: errorResponse(m.id, RPC.refused, refusalMessage(call, server, verdict), data),
      call,
      verdict,
    };
  });
  const out: Governed = { forward: [], refusals: [], calls: [] };
  for (const slot of await Promise.all(slots)) {
    if (slot.keep) out.forward.push(slot.keep);
    if (slot.refusal) out.refusals.push(slot.refusal);
    if (slot.call && slot.verdict) out.calls.push({ call: slot.call, verdict: slot.verdict });
  }
  return out;
}

const LISTS: Array<{ key: 'tools' | 'prompts' | 'resources'; field: 'name' | 'uri' }> = [
  { key: 'tools', field: 'name' },
  { key: 'prompts', field: 'name' },
  { key: 'resources', field: 'uri' },
];

/**
 * A message from the server with the list entries the policy denies taken out: any result
 * holding a `tools`, `prompts` or `resources` array, whatever request it answers (a server
 * may answer a list on a stream resumed later). Entries without a readable name go too.
 * Returns the message (a copy when changed) and how many entries were hidden.
 */
export function filterServerMessage(
  server: McpServer,
  message: unknown,
): { message: unknown; hidden: number } {
  if (typeof message !== 'object' || message === null || Array.isArray(message))
    return { message, hidden: 0 };
  const result = (message as Record<string, unknown>).result;
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return { message, hidden: 0 };
  let hidden = 0;
  let copy: Record<string, unknown> | undefined;
  for (const { key, field } of LISTS) {
    const list = (result as Record<string, unknown>)[key];
    if (!Array.isArray(list)) continue;
    const kept = list.filter((entry) => {
      const name =
        typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[field] : undefined;
      return typeof name === 'string' && nameProblem(name) === null && server.shows(key, name);
    });
    if (kept.length === list.length) continue;
    hidden += list.length - kept.length;
    copy ??= { ...(result as Record<string, unknown>) };
    copy[key] = kept;
  }
  if (!copy) return { message, hidden: 0 };
  return { message: { ...(message as Record<string, unknown>), result: copy }, hidden };
}
