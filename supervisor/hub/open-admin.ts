// Assembling the admin side over the hub's database (the composition root of the admin page
// in `warden hub` and its tests).

import { openAdminDb } from './admin-db.ts';
import { AdminHttp } from './admin-http.ts';
import { AdminStore } from './admin-store.ts';
import { HubItApprovals } from './it-approvals.ts';
import type { HubService } from './service.ts';
import { hubPaths } from './state.ts';

export async function openAdminStore(home: string, db?: string): Promise<AdminStore> {
  return new AdminStore(await openAdminDb(db ?? `sqlite:${hubPaths(home).db}`, home));
}

export async function openAdminHttp(
  service: HubService,
  o: { home: string; db?: string; secure: boolean; webRoot?: string },
): Promise<AdminHttp> {
  const admin = await openAdminStore(o.home, o.db);
  return new AdminHttp({
    service,
    admin,
    itApprovals: await HubItApprovals.open(admin.db),
    secure: o.secure,
    webRoot: o.webRoot,
  });
}
