// Policy documents from YAML: syntax errors, schema errors and semantic errors (bad match
// patterns, bad path globs) are all reported at once, each with its file, line and column,
// the field path and what was expected.

import { readFile } from 'node:fs/promises';
import type { ErrorObject } from 'ajv';
import { Ajv } from 'ajv';
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  stringify,
} from 'yaml';
import { type PolicyDocument, PolicyDocumentSchema, UPGRADE_PROTOCOL_PATTERN } from '../api/policy-schema.ts';
import type { PolicyErrorView } from '../api/policy-types.ts';
import { parseMatch } from './match-spec.ts';
import { mcpSemanticErrors } from './mcp-checks.ts';
import { packagesSemanticErrors } from './packages-checks.ts';
import { checkPathGlob } from './path.ts';
import { redactSemanticErrors } from './redact-checks.ts';
import { upstreamProblems } from './upstreams.ts';

/** 1-based line of each rule of `spec.network.rules`, by index. */
export type RuleLines = number[];

export type ParseResult =
  | { ok: true; document: PolicyDocument; lines: RuleLines }
  | { ok: false; errors: PolicyErrorView[] };

type Segment = string | number;

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
const validate = ajv.compile<PolicyDocument>(PolicyDocumentSchema);

/** `spec.network.rules[2].match` from path segments. */
export function formatFieldPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out;
}

function pointerToSegments(pointer: string): Segment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const s = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^\d+$/.test(s) ? Number(s) : s;
    });
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  return `${typeof value} ${String(value)}`;
}

interface SchemaLike {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  items?: SchemaLike;
  properties?: Record<string, SchemaLike>;
}

function describeSchema(schema: SchemaLike | undefined): string {
  if (!schema) return 'a value';
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return `one of ${schema.enum.map((v) => String(v)).join(', ')}`;
  switch (schema.type) {
    case 'string':
      return 'a string';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'object':
      return `a mapping with ${Object.keys(schema.properties ?? {}).join(', ')}`;
    case 'array':
      return schema.items?.type === 'string'
        ? 'a list of strings'
        : schema.items?.type === 'object'
          ? 'a list of mappings'
          : 'a list';
    default:
      return 'a value';
  }
}

/** Turn one ajv error into a path and a message; `key` is set when the key node should be blamed. */
function explainSchemaError(error: ErrorObject): { segments: Segment[]; key?: string; message: string } {
  const segments = pointerToSegments(error.instancePath);
  const parent = error.parentSchema as SchemaLike | undefined;
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String((error.params as { additionalProperty: string }).additionalProperty);
      const expected = Object.keys(parent?.properties ?? {}).join(', ');
      return {
        segments: [...segments, name],
        key: name,
        message: `unknown field "${name}"; expected one of ${expected}`,
      };
    }
    case 'required': {
      const name = String((error.params as { missingProperty: string }).missingProperty);
      const expected = describeSchema(parent?.properties?.[name]);
      return { segments, message: `missing field "${name}" (${expected})` };
    }
    case 'type':
      return { segments, message: `expected ${describeSchema(parent)}, got ${describeValue(error.data)}` };
    case 'enum':
    case 'const':
      return { segments, message: `expected ${describeSchema(parent)}, got ${describeValue(error.data)}` };
    case 'pattern': {
      const pattern = (error.params as { pattern: string }).pattern;
      const what =
        pattern === '^/'
          ? 'a path starting with "/"'
          : pattern === '^[A-Za-z]+$'
            ? 'an HTTP method name (letters only, like GET)'
            : pattern === UPGRADE_PROTOCOL_PATTERN
              ? 'an Upgrade protocol like h2c or TLS/1.2'
              : `text matching ${pattern}`;
      return { segments, message: `expected ${what}, got ${describeValue(error.data)}` };
    }
    case 'minLength':
      return { segments, message: 'must not be empty' };
    case 'maxLength':
      return { segments, message: `is longer than ${(error.params as { limit: number }).limit} characters` };
    case 'minItems':
      return { segments, message: 'must list at least one item (leave the field out to mean any)' };
    case 'uniqueItems': {
      const p = error.params as { i: number; j: number };
      return { segments, message: `items ${p.j + 1} and ${p.i + 1} are the same; list each once` };
    }
    case 'minimum':
    case 'maximum': {
      const limit = (error.params as { limit: number }).limit;
      const op = error.keyword === 'minimum' ? 'at least' : 'at most';
      return { segments, message: `must be ${op} ${limit}, got ${describeValue(error.data)}` };
    }
    default:
      return { segments, message: error.message ?? `is invalid (${error.keyword})` };
  }
}

/** The node at a path, and the key node of its pair when it sits in a mapping. */
function nodeAt(doc: Document, segments: readonly Segment[]): { node: Node | null; keyNode: Node | null } {
  let current: unknown = doc.contents;
  let keyNode: Node | null = null;
  for (const s of segments) {
    keyNode = null;
    if (isMap(current)) {
      const pair = current.items.find((p) => isScalar(p.key) && String(p.key.value) === String(s));
      if (!pair) return { node: current as Node, keyNode: null };
      keyNode = pair.key as Node;
      current = pair.value;
      if (current === null || current === undefined) return { node: keyNode, keyNode };
    } else if (isSeq(current) && typeof s === 'number') {
      const item = current.items[s];
      if (item === undefined || item === null) return { node: current as Node, keyNode: null };
      current = item;
    } else {
      break;
    }
  }
  return { node: (current as Node | null) ?? null, keyNode };
}

/** The path of the innermost node containing a text offset (for YAML syntax errors). */
function pathAtOffset(doc: Document, offset: number): { segments: Segment[]; key?: string } {
  const segments: Segment[] = [];
  let current: unknown = doc.contents;
  let key: string | undefined;
  const contains = (n: unknown) => {
    const range = (n as Node | null)?.range;
    return range ? offset >= range[0] && offset < range[2] : false;
  };
  for (;;) {
    if (isMap(current)) {
      const pair = current.items.find((p) => isPair(p) && (contains(p.key) || contains(p.value)));
      if (!pair || !isScalar(pair.key)) break;
      segments.push(String(pair.key.value));
      if (contains(pair.key)) {
        key = String(pair.key.value);
        break;
      }
      current = pair.value;
    } else if (isSeq(current)) {
      const index = current.items.findIndex((item) => contains(item));
      if (index === -1) break;
      segments.push(index);
      current = current.items[index];
    } else {
      break;
    }
  }
  return key === undefined ? { segments } : { segments, key };
}

function semanticErrors(value: unknown): Array<{ segments: Segment[]; message: string }> {
  const out: Array<{ segments: Segment[]; message: string }> = [];
  const network = (value as { spec?: { network?: { rules?: unknown; upstreams?: unknown } } } | null)?.spec
    ?.network;
  if (Array.isArray(network?.upstreams)) {
    network.upstreams.forEach((entry: unknown, index) => {
      if (entry === null || typeof entry !== 'object') return;
      for (const { field, message } of upstreamProblems(entry as Record<string, unknown>))
        out.push({ segments: ['spec', 'network', 'upstreams', index, field], message });
    });
  }
  const reviewer = (value as { spec?: { approvals?: { reviewer?: unknown } } } | null)?.spec?.approvals
    ?.reviewer;
  if (reviewer && typeof reviewer === 'object' && !Array.isArray(reviewer)) {
    const h = reviewer as Record<string, unknown>;
    if ((h.command === undefined) === (h.url === undefined))
      out.push({
        segments: ['spec', 'approvals', 'reviewer'],
        message: 'give exactly one of command (a program and its arguments) or url (a webhook)',
      });
  }
  const rules = network?.rules;
  if (!Array.isArray(rules)) return out;
  rules.forEach((rule: unknown, index) => {
    if (rule === null || typeof rule !== 'object') return;
    const r = rule as Record<string, unknown>;
    const base: Segment[] = ['spec', 'network', 'rules', index];
    if (r.approver !== undefined && r.action !== 'ask')
      out.push({
        segments: [...base, 'approver'],
        message: 'approver names who answers an ask: it needs action: ask',
      });
    if (typeof r.match === 'string' && r.match.length > 0) {
      const parsed = parseMatch(r.match);
      if ('error' in parsed) {
        out.push({
          segments: [...base, 'match'],
          message: `${parsed.error} (expected a host like api.github.com, *.github.com, **.github.com, *, an address or CIDR, with optional scheme:// and :port)`,
        });
      }
    }
    if (Array.isArray(r.paths)) {
      r.paths.forEach((glob: unknown, i) => {
        if (typeof glob !== 'string' || !glob.startsWith('/')) return; // the schema reports it
        const problem = checkPathGlob(glob);
        if (problem) out.push({ segments: [...base, 'paths', i], message: problem });
      });
    }
    if (Array.isArray(r.upgrades)) {
      r.upgrades.forEach((protocol: unknown, i) => {
        if (typeof protocol === 'string' && protocol.toLowerCase() === 'websocket')
          out.push({
            segments: [...base, 'upgrades', i],
            message:
              'websocket needs no entry: WebSocket upgrades are allowed wherever their request is; list only other protocols (h2c, TLS/1.2)',
          });
      });
    }
    const hasRequestConditions = r.methods !== undefined || r.paths !== undefined;
    if (r.tls === 'passthrough' && hasRequestConditions) {
      out.push({
        segments: [...base, 'tls'],
        message:
          'tls: passthrough cannot be combined with methods or paths (a spliced tunnel is never read); use tls: inspect or drop methods/paths',
      });
    }
  });
  return out;
}

/** Parse and validate a policy document. `source` names the file (or `<api>`) in errors. */
export function parsePolicy(text: string, source: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const errors: PolicyErrorView[] = [];
  const at = (offset: number | undefined, segments: readonly Segment[], message: string) => {
    const pos = offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
    errors.push({ source, line: pos.line, column: pos.col, path: formatFieldPath(segments), message });
  };

  let structureUsable = true;
  for (const error of doc.errors) {
    const located = pathAtOffset(doc, error.pos[0]);
    if (error.code === 'DUPLICATE_KEY') {
      const name = located.key ?? text.slice(error.pos[0], error.pos[1]);
      at(
        error.pos[0],
        located.segments,
        `duplicate key "${name}"; each field may appear only once in a mapping`,
      );
    } else {
      structureUsable = false;
      const message = error.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
      at(error.pos[0], located.segments, `YAML syntax error: ${message}`);
    }
  }

  let value: unknown;
  if (structureUsable) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      structureUsable = false;
      at(undefined, [], `YAML error: ${(error as Error).message}`);
    }
  }
  if (structureUsable) {
    if (!validate(value)) {
      const seen = new Set<string>();
      for (const error of validate.errors ?? []) {
        const explained = explainSchemaError(error);
        const id = `${formatFieldPath(explained.segments)}\u0000${explained.message}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const { node, keyNode } = nodeAt(doc, explained.segments);
        const blamed = explained.key !== undefined ? keyNode : node;
        at(blamed?.range?.[0], explained.segments, explained.message);
      }
    }
    for (const problem of [
      ...semanticErrors(value),
      ...mcpSemanticErrors(value),
      ...redactSemanticErrors(value),
      ...packagesSemanticErrors(value),
    ]) {
      const { node } = nodeAt(doc, problem.segments);
      at(node?.range?.[0], problem.segments, problem.message);
    }
  }

  if (errors.length > 0) {
    errors.sort((a, b) => a.line - b.line || a.column - b.column);
    return { ok: false, errors };
  }
  return { ok: true, document: value as PolicyDocument, lines: ruleLines(doc, lineCounter) };
}

function ruleLines(doc: Document, lineCounter: LineCounter): RuleLines {
  const rules = doc.getIn(['spec', 'network', 'rules'], true);
  if (!isSeq(rules)) return [];
  return rules.items.map((item) => {
    const offset = (item as Node | null)?.range?.[0];
    return offset === undefined ? 0 : lineCounter.linePos(offset).line;
  });
}

/** Read and parse a policy file; an unreadable file is one error naming it and the OS reason. */
export async function loadPolicyFile(path: string): Promise<ParseResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const reason = e.code
      ? `${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')} (${e.code})`
      : e.message;
    return {
      ok: false,
      errors: [{ source: path, line: 0, column: 0, path: '', message: `cannot read policy file: ${reason}` }],
    };
  }
  return parsePolicy(text, path);
}

/** `file:line:col: path: message` (position and path left out when unknown). */
export { formatPolicyError } from './format-error.ts';

/** YAML text of a policy document. */
export function stringifyPolicy(doc: PolicyDocument): string {
  return stringify(doc, { lineWidth: 0 });
}
