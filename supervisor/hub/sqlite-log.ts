// The embedded store's layout and its Merkle log statements (sqlite-store.ts runs them in
// its BEGIN IMMEDIATE transactions).

import type Database from 'better-sqlite3';
import type { HubLeaf } from '../api/hub.ts';
import { type HubLogTx, type HubStore, leafKey, type PlacedLeaf } from './store.ts';

type Reader = Pick<HubStore, 'leaves' | 'checkpoint' | 'nodes'>;

export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, created INTEGER NOT NULL, expires INTEGER NOT NULL,
  spent INTEGER, device TEXT) STRICT;
CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, public_key TEXT NOT NULL, user TEXT NOT NULL,
  machine TEXT NOT NULL, os TEXT NOT NULL, version TEXT NOT NULL, enrolled_at INTEGER NOT NULL, revoked_at INTEGER,
  start_seq INTEGER NOT NULL, start_prev TEXT NOT NULL, enroll_head_seq INTEGER, enroll_head_hash TEXT,
  head_seq INTEGER, head_hash TEXT, last_seen INTEGER, backlog INTEGER, challenge TEXT,
  default_partition INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE TABLE IF NOT EXISTS records (device TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL,
  kind TEXT NOT NULL, sandbox_id TEXT, user TEXT NOT NULL, host TEXT, outcome TEXT, body TEXT NOT NULL, ctx TEXT,
  logged INTEGER, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, received INTEGER NOT NULL,
  PRIMARY KEY (device, seq)) STRICT;
CREATE INDEX IF NOT EXISTS records_time ON records (time);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, time);
CREATE INDEX IF NOT EXISTS records_host ON records (host, time);
CREATE INDEX IF NOT EXISTS records_user ON records (user, time);
CREATE TABLE IF NOT EXISTS quarantine (id INTEGER PRIMARY KEY, device TEXT NOT NULL, seq INTEGER NOT NULL,
  record TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY, device TEXT NOT NULL, kind TEXT NOT NULL, seq INTEGER,
  message TEXT NOT NULL, at INTEGER NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS alerts_device ON alerts (device, kind, at);
CREATE TABLE IF NOT EXISTS gaps (device TEXT NOT NULL, from_seq INTEGER NOT NULL, through_seq INTEGER NOT NULL,
  last_hash TEXT NOT NULL, checkpoint_seq INTEGER NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (device, through_seq)) STRICT;
CREATE TABLE IF NOT EXISTS nonces (device TEXT NOT NULL, nonce TEXT NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY (device, nonce)) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_created ON nonces (created);
CREATE TABLE IF NOT EXISTS tlog_state (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL) STRICT;
INSERT OR IGNORE INTO tlog_state (id, size) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS tlog_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
  PRIMARY KEY (level, idx)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tlog_leaves (idx INTEGER PRIMARY KEY, device TEXT NOT NULL, seq INTEGER NOT NULL,
  hash TEXT NOT NULL, received INTEGER NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS tlog_leaves_device ON tlog_leaves (device, seq);
CREATE TABLE IF NOT EXISTS tlog_checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS exports (name TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL,
  token_file TEXT, created INTEGER NOT NULL, cursor TEXT NOT NULL DEFAULT '{}', exported INTEGER NOT NULL DEFAULT 0,
  last_error TEXT, last_attempt INTEGER NOT NULL DEFAULT 0, last_success INTEGER) STRICT;
`;

export function sqliteLogTx(db: Database.Database, store: Reader): HubLogTx {
  return {
    leafAt: async (index) => (await store.leaves(index, index + 1))[0],
    latestCheckpoint: () => store.checkpoint(),
    lockLog: async () =>
      (db.prepare('SELECT size FROM tlog_state WHERE id = 1').get() as { size: number }).size,
    leavesOf: async (keys) => {
      const one = db.prepare(
        'SELECT idx, device, seq, hash, received FROM tlog_leaves WHERE device = ? AND seq = ? ORDER BY idx LIMIT 1',
      );
      const found = new Map<string, PlacedLeaf>();
      for (const k of keys) {
        const row = one.get(k.device, k.seq) as (HubLeaf & { idx: number }) | undefined;
        if (row) {
          const { idx, ...leaf } = row;
          found.set(leafKey(leaf), { index: idx, leaf });
        }
      }
      return found;
    },
    nodes: async (ids) => store.nodes(ids),
    appendLog: async (first, leaves, nodes, checkpoint) => {
      const leaf = db.prepare(
        'INSERT INTO tlog_leaves (idx, device, seq, hash, received) VALUES (?, ?, ?, ?, ?)',
      );
      for (const [i, l] of leaves.entries()) leaf.run(first + i, l.device, l.seq, l.hash, l.received);
      const node = db.prepare('INSERT OR REPLACE INTO tlog_nodes (level, idx, hash) VALUES (?, ?, ?)');
      for (const n of nodes) node.run(n.level, n.index, n.hash);
      db.prepare('INSERT INTO tlog_checkpoints (size, root, note) VALUES (?, ?, ?)').run(
        checkpoint.size,
        checkpoint.root,
        checkpoint.note,
      );
      db.prepare('UPDATE tlog_state SET size = ? WHERE id = 1').run(checkpoint.size);
    },
  };
}
