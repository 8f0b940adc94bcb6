// Choosing the store from `--db` (sqlite:PATH or postgres://…) and assembling a hub over it
// with the key of its state folder: the composition root of `warden hub` and its tests.

import path from 'node:path';
import { WardenError } from '../api/errors.ts';
import { formatVerifierKey } from '../tlog/note.ts';
import { openAdminDb } from './admin-db.ts';
import { HubLog } from './log.ts';
import { PgHubStore } from './pg-store.ts';
import { HubPolicies } from './policies.ts';
import { HubService, type HubServiceOptions } from './service.ts';
import { SqliteHubStore } from './sqlite-store.ts';
import { openHubHome } from './state.ts';
import type { HubStore } from './store.ts';

/** A store from `--db`: `sqlite:PATH` (relative to `home`) or a postgres:// URL. */
export async function openHubStore(db: string, home: string): Promise<HubStore> {
  if (db.startsWith('sqlite:')) {
    const file = db.slice('sqlite:'.length);
    if (!file)
      throw new WardenError('BadRequest', '--db sqlite: needs a file path', 'e.g. --db sqlite:hub.db');
    return new SqliteHubStore(path.resolve(home, file));
  }
  if (/^postgres(ql)?:\/\//.test(db)) {
    try {
      return await PgHubStore.open(db);
    } catch (error) {
      // The URL may hold a password: name the host only.
      const host = new URL(db).host;
      throw new WardenError(
        'BadRequest',
        `cannot open the PostgreSQL database at ${host}: ${(error as Error).message}`,
        'Check that the server runs, the database exists and the user may create tables in it.',
      );
    }
  }
  throw new WardenError(
    'BadRequest',
    `--db must be sqlite:PATH or postgres://…, not ${JSON.stringify(db.slice(0, 40))}`,
  );
}

export interface OpenHubOptions extends Omit<HubServiceOptions, 'store' | 'log'> {
  home: string;
  db?: string;
  /** The log's origin (key name) when the key is created. */
  origin?: string;
}

export async function openHub(o: OpenHubOptions): Promise<HubService> {
  const { paths, signer } = openHubHome(o.home, o.origin);
  const store = await openHubStore(o.db ?? `sqlite:${paths.db}`, o.home);
  const mine = formatVerifierKey(signer);
  const recorded = await store.claimLogKey(mine);
  if (recorded !== mine) {
    await store.close();
    throw new WardenError(
      'Forbidden',
      `this database holds the log of hub key ${recorded}, not this hub's key ${mine}`,
      `Copy ${paths.key} from the hub that created the log (every hub process on one database shares it).`,
    );
  }
  const policies = await HubPolicies.open(await openAdminDb(o.db ?? `sqlite:${paths.db}`, o.home));
  return new HubService({ ...o, store, log: new HubLog(signer), policies });
}
