// The checks of spec.mcp that the schema cannot make: each server's match is a valid host
// pattern and its path a valid path glob (the same rules as network rules').

import { parseMatch } from './match-spec.ts';
import { checkPathGlob } from './path.ts';

type Segment = string | number;

export function mcpSemanticErrors(value: unknown): Array<{ segments: Segment[]; message: string }> {
  const out: Array<{ segments: Segment[]; message: string }> = [];
  const servers = (value as { spec?: { mcp?: { servers?: unknown } } } | null)?.spec?.mcp?.servers;
  if (!Array.isArray(servers)) return out;
  servers.forEach((server: unknown, index) => {
    if (server === null || typeof server !== 'object') return;
    const s = server as Record<string, unknown>;
    const base: Segment[] = ['spec', 'mcp', 'servers', index];
    if (typeof s.match === 'string' && s.match.length > 0) {
      const parsed = parseMatch(s.match);
      if ('error' in parsed) out.push({ segments: [...base, 'match'], message: parsed.error });
    }
    if (typeof s.path === 'string' && s.path.startsWith('/')) {
      const problem = checkPathGlob(s.path);
      if (problem) out.push({ segments: [...base, 'path'], message: problem });
    }
  });
  return out;
}
