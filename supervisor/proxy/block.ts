// The response a blocked request gets: a status, an `X-Warden-Decision` header and a
// plain-text body saying what was blocked, why, and the command that would allow it.

import type { Identity, RequestFacts, RuleRef } from '../api/index.ts';
import { PROXY_REALM } from './credential.ts';
import { displayAuthority } from './target.ts';

export interface BlockInfo {
  status: 400 | 403 | 407 | 421 | 502 | 503;
  /** Short machine-readable verdict for the header: denied, timed-out, exfiltration, error, unavailable, unauthenticated. */
  verdict: string;
  /** One sentence: why. */
  reason: string;
  identity: Identity;
  facts?: RequestFacts;
  rule?: RuleRef | null;
  approvalId?: string;
  /** Lines telling the user how to allow it, already formatted. */
  howToAllow?: string[];
}

const STATUS_TEXT: Record<BlockInfo['status'], string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  407: 'Proxy Authentication Required',
  421: 'Misdirected Request',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Header values must be one printable ASCII line. */
function headerSafe(s: string): string {
  return s
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/"/g, "'")
    .slice(0, 600);
}

export function ruleLabel(rule: RuleRef): string {
  const where = rule.line ? `${rule.source}:${rule.line}` : rule.source;
  return `${rule.layer} rule ${rule.index + 1} (${where}, match "${rule.match}")`;
}

export function decisionHeader(info: BlockInfo): string {
  const parts = [info.verdict, `reason="${headerSafe(info.reason)}"`];
  if (info.rule) parts.push(`rule="${headerSafe(ruleLabel(info.rule))}"`);
  if (info.approvalId) parts.push(`approval="${info.approvalId}"`);
  return parts.join('; ');
}

export function blockBody(info: BlockInfo): string {
  const lines = ['Warden blocked this request.', ''];
  if (info.facts) {
    const f = info.facts;
    lines.push(
      `  request:  ${f.method} ${f.scheme}://${displayAuthority(f.scheme, f.host, f.port)}${f.path}`,
    );
  }
  // A client without the listener's credential is not told whose listener it reached.
  if (info.status !== 407) {
    lines.push(`  sandbox:  ${info.identity.sandboxId} (started by ${info.identity.user})`);
  }
  lines.push(`  why:      ${info.reason}`);
  if (info.rule) lines.push(`  rule:     ${ruleLabel(info.rule)}`);
  if (info.howToAllow && info.howToAllow.length > 0) {
    const heading = info.status === 407 ? 'To use this proxy:' : 'To allow it:';
    lines.push('', heading, ...info.howToAllow.map((l) => `  ${l}`));
  }
  return `${lines.join('\n')}\n`;
}

export function blockHead(
  info: BlockInfo,
  body: string,
): { status: number; statusText: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-warden-decision': decisionHeader(info),
  };
  if (info.status === 407) {
    headers['proxy-authenticate'] = `Basic realm="${PROXY_REALM}"`;
    headers.connection = 'close';
  }
  return { status: info.status, statusText: STATUS_TEXT[info.status], headers };
}

/** A raw HTTP/1.1 response for sockets that have no ServerResponse (CONNECT, upgrades). */
export function rawBlockResponse(info: BlockInfo): string {
  const body = blockBody(info);
  const head = blockHead(info, body);
  const headerLines = Object.entries({ ...head.headers, connection: 'close' }).map(([k, v]) => `${k}: ${v}`);
  return [`HTTP/1.1 ${head.status} ${head.statusText}`, ...headerLines, '', body].join('\r\n');
}

/** Hints for a request the policy would need a rule for. */
export function howToAllow(args: {
  identity: Identity;
  facts: RequestFacts;
  suggested: { match: string; methods?: string[]; paths?: string[] };
  policySource?: string;
  pending?: boolean;
  approvalId?: string;
}): string[] {
  const { suggested } = args;
  const out: string[] = [];
  if (args.pending && args.approvalId) {
    out.push(`while it waits:   warden approve ${args.approvalId} [--always]`);
  }
  const flags = [`--match ${shellQuote(suggested.match)}`];
  for (const m of suggested.methods ?? []) flags.push(`--method ${m}`);
  for (const p of suggested.paths ?? []) flags.push(`--path ${shellQuote(p)}`);
  out.push(`for this sandbox: warden rule add ${args.identity.sandboxId} ${flags.join(' ')} --action allow`);
  out.push(`${args.policySource ? `in ${args.policySource}` : 'in a policy file'}, add:`);
  out.push(`  - match: ${JSON.stringify(suggested.match)}`);
  if (suggested.methods?.length) out.push(`    methods: [${suggested.methods.join(', ')}]`);
  if (suggested.paths?.length)
    out.push(`    paths: [${suggested.paths.map((p) => JSON.stringify(p)).join(', ')}]`);
  out.push('    action: allow');
  return out;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@*-]+$/.test(s) && !s.includes('*') ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
