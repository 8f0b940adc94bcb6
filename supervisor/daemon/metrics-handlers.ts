// Every sandbox's counters for the desktop's charts: its VM's CPU time and memory (from the
// QEMU process), the memory the guest itself uses (its agent's report) and its traffic
// (from the proxy's events). Clients sample it and keep the
// history; the daemon keeps none.

import type { SandboxMetrics } from '../api/sandbox-types.ts';
import type { SandboxCatalog } from '../sandboxes/index.ts';
import type { SandboxTraffic } from '../sandboxes/traffic.ts';
import type { VmSandboxes } from '../sandboxes/vm-sandboxes.ts';
import type { Handlers } from '../server/server.ts';
import { procStats } from '../vm/index.ts';

export interface MetricsDeps {
  catalog: Pick<SandboxCatalog, 'list'>;
  vms: Pick<VmSandboxes, 'pidOf' | 'guestStatsOf'>;
  traffic: Pick<SandboxTraffic, 'get'>;
  now?: () => number;
}

export function metricsHandlers(d: MetricsDeps): Pick<Handlers, 'GET /v1/metrics/sandboxes'> {
  return {
    'GET /v1/metrics/sandboxes': () => {
      const sandboxes = d.catalog.list().map((s): SandboxMetrics => {
        const base = { sandboxId: s.sandboxId, kind: s.kind, ...d.traffic.get(s.sandboxId) };
        if (s.kind !== 'vm') return base;
        const pid = d.vms.pidOf(s.sandboxId);
        const stats = pid === undefined ? undefined : procStats(pid);
        const guest = d.vms.guestStatsOf(s.sandboxId);
        return {
          ...base,
          memoryBytes: s.memoryMiB * 2 ** 20,
          ...(stats ?? {}),
          ...(guest
            ? {
                guestMemoryUsedBytes: guest.memTotalBytes - guest.memAvailableBytes,
                guestMemoryTotalBytes: guest.memTotalBytes,
              }
            : {}),
        };
      });
      return { time: (d.now ?? Date.now)(), sandboxes };
    },
  };
}
