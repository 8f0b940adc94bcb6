// Paging over the segment index (segments.ts): which seqs make up a filtered page ordered by
// (time, seq). Segments are visited by their time bound (newest max_time first for a
// descending page), each one's candidates come from intersecting the postings of the
// equality filters (or all its seqs), their times from the segment's time list; the visit
// stops once the page is full and no remaining segment can hold a record that sorts before
// the page's last one. The unindexed tail (after the last complete segment) is read
// directly. Event times are not in seq order in general; the bounds make that exact.

import type Database from 'better-sqlite3';
import type { AuditFilter } from '../api/audit-types.ts';
import { FIELDS, type FieldCode, offsetsOf, SEGMENT_SIZE, timesOf } from './segments.ts';

interface Segment {
  first: number;
  last: number;
  minTime: number;
  maxTime: number;
}

export interface PageRequest {
  filter: AuditFilter;
  order: 'asc' | 'desc';
  cursor: { time: number; seq: number } | null;
  limit: number;
}

type TailRow = [seq: number, time: number, ...values: Array<string | null>];

/** [field code, value] of each equality filter. */
function equalities(filter: AuditFilter): Array<[FieldCode, string]> {
  const out: Array<[FieldCode, string]> = [];
  const values = [filter.sandbox, filter.kind, filter.host, filter.outcome];
  for (let f = 0; f < values.length; f++) {
    const value = values[f];
    if (value !== undefined) out.push([f as FieldCode, value]);
  }
  return out;
}

/** Intersection of ascending offset lists. */
function intersect(a: Uint16Array, b: Uint16Array): Uint16Array<ArrayBufferLike> {
  const out = new Uint16Array(Math.min(a.length, b.length));
  let n = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x === y) {
      out[n++] = x;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out.subarray(0, n);
}

const ALL = Uint16Array.from({ length: SEGMENT_SIZE }, (_, i) => i);

export class SegmentPager {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  /** Sealed segments, by first seq; views sorted by time bound, rebuilt when it changes. */
  #segments: Segment[] = [];
  #byMaxDesc: Segment[] | null = null;
  #byMinAsc: Segment[] | null = null;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** The seqs of the page in page order, and whether records follow it. */
  select(request: PageRequest): { seqs: number[]; more: boolean } {
    return this.#db.transaction(() => this.#select(request)).deferred();
  }

  #select({ filter, order, cursor, limit }: PageRequest): { seqs: number[]; more: boolean } {
    this.#refresh();
    const desc = order === 'desc';
    const want = limit + 1;
    const since = filter.since ?? Number.NEGATIVE_INFINITY;
    const until = filter.until ?? Number.POSITIVE_INFINITY;
    const firstSeq = (this.#get('SELECT min(seq) FROM records', true).get() as number | null) ?? 0;
    // Candidates as parallel arrays; sorted and cut to `want` whenever they grow past it.
    let times: number[] = [];
    let seqs: number[] = [];
    const before = (ta: number, sa: number, tb: number, sb: number): boolean =>
      desc ? ta > tb || (ta === tb && sa > sb) : ta < tb || (ta === tb && sa < sb);
    const consider = (time: number, seq: number): void => {
      if (time < since || time >= until) return;
      if (cursor && !before(cursor.time, cursor.seq, time, seq)) return;
      times.push(time);
      seqs.push(seq);
    };
    const compact = (): void => {
      const order = seqs.map((_, i) => i);
      order.sort((i, j) =>
        before(times[i] as number, seqs[i] as number, times[j] as number, seqs[j] as number) ? -1 : 1,
      );
      order.length = Math.min(order.length, want);
      times = order.map((i) => times[i] as number);
      seqs = order.map((i) => seqs[i] as number);
    };

    const eq = equalities(filter);
    const sealedThrough = this.#segments.at(-1)?.last ?? 0;
    // The tail: newer than every sealed segment, read as rows.
    const tail = this.#get(`SELECT seq, time, ${FIELDS.join(', ')} FROM records WHERE seq > ?`);
    for (const row of tail.iterate(sealedThrough) as IterableIterator<TailRow>) {
      if (eq.every(([f, value]) => row[f + 2] === value)) consider(row[1], row[0]);
    }
    compact();

    // Segments holding every filtered value.
    const holding = this.#holding(eq);
    const visit = desc ? this.#descending() : this.#ascending();
    for (const segment of visit) {
      const bound = desc ? segment.maxTime : segment.minTime;
      if (
        seqs.length >= want &&
        (desc ? bound < (times[want - 1] as number) : bound > (times[want - 1] as number))
      )
        break;
      if (desc ? segment.maxTime < since : segment.minTime >= until) break;
      if (segment.maxTime < since || segment.minTime >= until) continue;
      if (cursor && (desc ? segment.minTime > cursor.time : segment.maxTime < cursor.time)) continue;
      if (holding && !holding.has(segment.first)) continue;
      let offsets: Uint16Array<ArrayBufferLike> = ALL;
      for (const [f, value] of eq) {
        const blob = this.#get(
          'SELECT offsets FROM postings WHERE field = ? AND value = ? AND first_seq = ?',
          true,
        ).get(f, value, segment.first) as Buffer | undefined;
        offsets = blob
          ? offsets === ALL
            ? offsetsOf(blob)
            : intersect(offsets, offsetsOf(blob))
          : new Uint16Array();
        if (offsets.length === 0) break;
      }
      if (offsets.length === 0) continue;
      const blob = this.#get('SELECT times FROM segments WHERE first_seq = ?', true).get(segment.first) as
        | Buffer
        | undefined;
      if (!blob) continue; // dropped by retention meanwhile
      const segmentTimes = timesOf(blob);
      for (const offset of offsets) {
        const seq = segment.first + offset;
        const time = segmentTimes[offset] as number;
        if (seq < firstSeq || Number.isNaN(time)) continue;
        consider(time, seq);
      }
      if (seqs.length >= want) compact();
    }
    compact();
    return { seqs: seqs.slice(0, limit), more: seqs.length > limit };
  }

  /** First seqs of the segments holding every filtered value (null: no equality filter). */
  #holding(eq: Array<[FieldCode, string]>): Set<number> | null {
    const sets = eq.map(
      ([f, value]) =>
        new Set(
          this.#get('SELECT first_seq FROM postings WHERE field = ? AND value = ?', true).all(
            f,
            value,
          ) as number[],
        ),
    );
    const [smallest, ...others] = sets.sort((a, b) => a.size - b.size);
    if (!smallest) return null;
    return new Set([...smallest].filter((first) => others.every((set) => set.has(first))));
  }

  /** Load segments sealed since the last call (all of them again after retention dropped some). */
  #refresh(): void {
    const oldest = this.#get('SELECT min(first_seq) FROM segments', true).get() as number | null;
    if (oldest === null || (this.#segments.length > 0 && this.#segments[0]?.first !== oldest)) {
      this.#segments = [];
      this.#byMaxDesc = this.#byMinAsc = null;
      if (oldest === null) return;
    }
    const after = this.#segments.at(-1)?.first ?? 0;
    const rows = this.#get(
      'SELECT first_seq, last_seq, min_time, max_time FROM segments WHERE first_seq > ? ORDER BY first_seq',
    ).all(after) as Array<[number, number, number, number]>;
    if (rows.length === 0) return;
    for (const [first, last, minTime, maxTime] of rows)
      this.#segments.push({ first, last, minTime, maxTime });
    this.#byMaxDesc = this.#byMinAsc = null;
  }

  #descending(): Segment[] {
    this.#byMaxDesc ??= [...this.#segments].sort((a, b) => b.maxTime - a.maxTime || b.first - a.first);
    return this.#byMaxDesc;
  }

  #ascending(): Segment[] {
    this.#byMinAsc ??= [...this.#segments].sort((a, b) => a.minTime - b.minTime || a.first - b.first);
    return this.#byMinAsc;
  }

  #get(sql: string, pluck = false): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = pluck ? this.#db.prepare(sql).pluck() : this.#db.prepare(sql).raw(true);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
