// The query each thread of verify's parallel walk runs per chunk (verify-chunks.ts): SQLite
// reads a chunk's rows in seq order and returns, in one row, what JavaScript needs to check
// them: the count, every stored hash and prev_hash (64 bytes each, joined), every record's
// prev_hash ‖ canonical row (chain.ts canonicalRow / legacyCanonicalRow) as bytes joined by
// \n, and whether every row fits its format. One call per chunk instead of a JavaScript
// array and three values per row, and text that is never turned into a string.

import type { Layout } from './schema.ts';

// concat() makes the text in one allocation (a fifth less CPU per row than format() here).
const LEGACY_TEXT =
  'concat(prev_hash, \'{"host":\', json_quote(host), \',"kind":\', json_quote(kind), \',"ocsf":\', BODY, ' +
  '\',"outcome":\', json_quote(outcome), \',"prev_hash":\', json_quote(prev_hash), ' +
  '\',"sandbox_id":\', json_quote(sandbox_id), \',"seq":\', seq, \',"time":\', time, ' +
  "',\"user\":', json_quote(user), '}')";
const COMPACT_TEXT =
  'concat(prev_hash, \'{"ctx":\', CTX, \',"event":\', r.body, \',"host":\', json_quote(host), ' +
  '\',"kind":\', json_quote(kind), \',"logged":\', logged, \',"outcome":\', json_quote(outcome), ' +
  '\',"prev_hash":\', json_quote(prev_hash), \',"sandbox_id":\', json_quote(sandbox_id), ' +
  "',\"seq\":', seq, ',\"time\":', time, ',\"user\":', json_quote(user), '}')";
const CTX_LOOKUP = '(SELECT c.body FROM contexts c WHERE c.id = r.ctx)';

/** A context row: its id and stored text. */
export interface ContextRow {
  id: number;
  body: string;
}

/**
 * The context text of row r: with the contexts known (a few per database: one per writer's
 * device and version), a CASE of their texts, which spares a lookup per row; else the lookup.
 * An id missing from the CASE gives NULL (concat() skips it), so the hash fails and the
 * sequential walk decides.
 */
function contextSql(contexts: readonly ContextRow[] | undefined): string {
  if (!contexts || contexts.length === 0 || contexts.length > 64) return CTX_LOOKUP;
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const cases = contexts.map((c) => `WHEN ${Math.trunc(c.id)} THEN ${quote(c.body)}`).join(' ');
  return `(CASE r.ctx ${cases} END)`;
}

/** prev_hash ‖ canonical row of record r, as SQLite builds it. */
function textSql(layout: Layout, contexts: readonly ContextRow[] | undefined): string {
  const compact = COMPACT_TEXT.replace('CTX', contextSql(contexts));
  if (!layout.contexts) return LEGACY_TEXT.replace('BODY', 'r.ocsf');
  // No schema 1 rows: every row is compact (one with a null context hashes wrong and does
  // not fit), so no CASE per row.
  if (layout.legacyThrough === 0) return compact;
  return `CASE WHEN r.ctx IS NULL THEN ${LEGACY_TEXT.replace('BODY', 'r.body')} ELSE ${compact} END`;
}

/**
 * 1 when record r fits its format, else 0: rows up to the migration are schema 1 (no
 * context; a logged time or not), later rows have a context and a logged time; every
 * prev_hash and hash is 64 bytes (IS, not =: never NULL, which min() would skip).
 */
function fitSql(layout: Layout): string {
  const sizes = 'octet_length(r.prev_hash) IS 64 AND octet_length(r.hash) IS 64';
  if (!layout.contexts) return sizes;
  const legacyThrough = Math.trunc(layout.legacyThrough);
  return `(CASE WHEN r.seq <= ${legacyThrough} THEN r.ctx IS NULL ELSE r.ctx IS NOT NULL AND r.logged IS NOT NULL END) AND ${sizes}`;
}

/**
 * The chunk query, bound to the chunk's first and last seq: count, hashes, prev_hashes (each
 * joined without a separator), texts (as a BLOB, joined by \n), min(fit). The rows come
 * from a subquery ordered by seq, which SQLite runs as a coroutine over the table in
 * rowid order (no sort), so the aggregates see them in seq order.
 */
export function chunkSql(layout: Layout, contexts?: readonly ContextRow[]): string {
  const rows =
    `SELECT r.hash AS h, r.prev_hash AS p, ${textSql(layout, contexts)} AS t, ${fitSql(layout)} AS f ` +
    'FROM records r WHERE r.seq >= ? AND r.seq <= ? ORDER BY r.seq';
  return (
    "SELECT count(*), group_concat(h, ''), group_concat(p, ''), " +
    `CAST(group_concat(t, char(10)) AS BLOB), min(f) FROM (${rows})`
  );
}
