// Standing conditions the hub turns into alerts outside a request: devices that lag (a backlog
// while the newest record the hub holds of them is old) and problems the hub's own verify found.
// Each is raised once per hour per device (the page acknowledges it).

import type { HubStore } from './store.ts';
import type { HubVerifyReport } from './verify.ts';

const HOUR = 3_600_000;

/** Flag devices with a backlog whose newest held record is older than `lagAfterMs`. */
export async function sweepLag(store: HubStore, now: number, lagAfterMs: number): Promise<string[]> {
  const flagged: string[] = [];
  for (const d of await store.devices()) {
    if (d.revokedAt !== null || !d.backlog || !d.head) continue;
    const [newest] = await store.records(d.id, d.head.seq - 1, 1);
    if (!newest || now - newest.time < lagAfterMs) continue;
    if (await store.hasAlert(d.id, 'lag', now - HOUR)) continue;
    await store.alert({
      device: d.id,
      kind: 'lag',
      seq: d.head.seq,
      message: `${d.backlog} records wait on the device; the newest the hub holds is ${Math.round((now - newest.time) / 60_000)} min old`,
      at: now,
    });
    flagged.push(d.id);
  }
  return flagged;
}

/** Raise a verify-failed alert for each device (or the log) the report names. */
export async function alertVerifyProblems(
  store: HubStore,
  report: HubVerifyReport,
  now: number,
): Promise<number> {
  const first = new Map<string, HubVerifyReport['problems'][number]>();
  for (const p of report.problems) if (!first.has(p.device ?? 'hub')) first.set(p.device ?? 'hub', p);
  let raised = 0;
  for (const [device, p] of first) {
    if (await store.hasAlert(device, 'verify-failed', now - HOUR)) continue;
    await store.alert({
      device,
      kind: 'verify-failed',
      seq: p.seq,
      message: `the hub's verify: ${p.seq === null ? '' : `seq ${p.seq}: `}${p.problem}`,
      at: now,
    });
    raised++;
  }
  return raised;
}
