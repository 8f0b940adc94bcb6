// Assembling `GET /v1/export` and its tokens over the hub's database (`--db`): the
// composition root of `warden hub` and `warden hub export token`, and of the tests.

import { openAdminDb } from '../admin-db.ts';
import { hubPaths } from '../state.ts';
import { ExportStream, type ExportStreamOptions } from './stream.ts';
import { ExportStreamDb } from './stream-db.ts';

export async function openExportStreamDb(home: string, db?: string): Promise<ExportStreamDb> {
  return new ExportStreamDb(await openAdminDb(db ?? `sqlite:${hubPaths(home).db}`, home)).init();
}

export async function openExportStream(
  o: { home: string; db?: string; now: () => number } & Omit<ExportStreamOptions, 'db' | 'now'>,
): Promise<ExportStream> {
  return new ExportStream({ ...o, db: await openExportStreamDb(o.home, o.db) });
}
