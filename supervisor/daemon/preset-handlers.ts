// The policy presets the daemon ships, with their text: a client shows the policy a preset
// will apply before it starts a sandbox with it.

import { parse } from 'yaml';
import type { PresetView } from '../api/messages.ts';
import { loadPreset, presetNames, presetNeeds } from '../policy/presets/index.ts';
import type { Handlers } from '../server/server.ts';

function description(yaml: string): string | undefined {
  try {
    const d = (parse(yaml) as { metadata?: { description?: unknown } } | null)?.metadata?.description;
    return typeof d === 'string' ? d : undefined;
  } catch {
    return undefined;
  }
}

export function listPresets(): PresetView[] {
  return presetNames().flatMap((name) => {
    const preset = loadPreset(name);
    if (!preset) return [];
    const d = description(preset.yaml);
    const needs = presetNeeds(name);
    return [{ name, ...(d ? { description: d } : {}), ...preset, ...(needs ? { needs: { ...needs } } : {}) }];
  });
}

export function presetHandlers(): Pick<Handlers, 'GET /v1/presets'> {
  return { 'GET /v1/presets': () => listPresets() };
}
