// The first and last seq of the records table. Two scalar subqueries, each one seek on the
// seq key: SQLite answers min() or max() alone from the key, but `SELECT min(seq), max(seq)`
// together is a scan of every record (0.67 s of a 1M-record verify here, read by pread).

import type Database from 'better-sqlite3';

export const SEQ_BOUNDS_SQL =
  'SELECT (SELECT min(seq) FROM records) AS first, (SELECT max(seq) FROM records) AS last';

export interface SeqBounds {
  first: number | null;
  last: number | null;
}

export function seqBounds(db: Database.Database): SeqBounds {
  return db.prepare(SEQ_BOUNDS_SQL).get() as SeqBounds;
}
