// Policy presets for common agents: YAML files beside this module, which users can start
// from (`warden run --preset NAME`, or copy one next to their project).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The presets folder, from the sources (supervisor/policy/presets) or the bundled CLI (dist/). */
export function presetsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [here, path.join(here, '..', 'supervisor', 'policy', 'presets')];
  return candidates.find((c) => existsSync(path.join(c, 'node.yaml'))) ?? here;
}

export function presetNames(): string[] {
  try {
    return readdirSync(presetsDir())
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

/** The preset's YAML and where it came from, or undefined for an unknown name. */
export function loadPreset(name: string): { yaml: string; source: string } | undefined {
  if (!presetNames().includes(name)) return undefined;
  const source = path.join(presetsDir(), `${name}.yaml`);
  return { yaml: readFileSync(source, 'utf8'), source };
}

/** What a preset's agent needs to run well: the sandbox's size unless the user gives one, and the agent. */
export interface PresetNeeds {
  cpus: number;
  memoryMiB: number;
  /** The managed agent (`warden agent add NAME`) the preset runs, installed on first use. */
  agent?: string;
}

const NEEDS: Record<string, PresetNeeds> = {
  // Claude Code and Codex are Node programs of a few hundred MiB resident with their tools.
  'claude-code': { cpus: 2, memoryMiB: 2048, agent: 'claude-code' },
  codex: { cpus: 2, memoryMiB: 2048, agent: 'codex' },
  node: { cpus: 1, memoryMiB: 1024 },
};

export function presetNeeds(name: string): PresetNeeds | undefined {
  return NEEDS[name];
}
