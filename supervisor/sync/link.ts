// The sync link (issue 15): off until enrolled, then it sends the chain records above the
// hub's acknowledged position in batches (≤ 1,000 records or 1 MiB, ≤ 250 ms after the first
// new one, gzip), one batch in flight, checks every receipt, heartbeats with the head and
// backlog, answers challenges, and reconciles with what the hub says it holds (a lost reply,
// a restored older database, a rewritten chain). Never on the proxy's path: it reads the
// store through its own connection on timers; `notify()` only arms a timer.

import { Ajv } from 'ajv';
import {
  HUB_LIMITS,
  HUB_PATHS,
  type HubBatchResponse,
  HubBatchResponseSchema,
  HubChallengeResultSchema,
  type HubGap,
  type HubHeartbeatResponse,
  HubHeartbeatResponseSchema,
} from '../api/hub.ts';
import type { SyncEnrollResponse, SyncState, SyncStatus } from '../api/sync-types.ts';
import type { SyncLinkRow } from '../audit/sync-ledger.ts';
import { type NoteVerifier, parseVerifierKey } from '../tlog/note.ts';
import { loadDeviceKey } from './device-key.ts';
import { enroll } from './enroll.ts';
import { acknowledgedGap, prunedAt } from './gap.ts';
import { checkHeartbeatTree, checkReceipt, Forked, reconcile } from './hub-checks.ts';
import { callHub, type HubReply, type HubTarget, HubUnreachable } from './hub-client.ts';
import type { SyncLinkOptions } from './options.ts';
import { classify, type Failure } from './outcome.ts';
import { type PreparedBatch, prepareBatch } from './prepare.ts';
import { DEFAULT_RETRY, retryDelay } from './retry.ts';
import { rotateDeviceKey } from './rotate.ts';
import { syncStatus } from './status.ts';

const ajv = new Ajv({ strict: false });
const validBatch = ajv.compile(HubBatchResponseSchema);
const validHeartbeat = ajv.compile(HubHeartbeatResponseSchema);
const validChallenge = ajv.compile(HubChallengeResultSchema);

class Stop extends Error {}

export class SyncLink {
  readonly #o: Required<
    Omit<SyncLinkOptions, 'ledger' | 'log' | 'keyFile' | 'user' | 'version' | 'organisation'>
  > &
    SyncLinkOptions;
  #row: SyncLinkRow | null = null;
  #target: HubTarget | null = null;
  #verifier: NoteVerifier | null = null;
  #state: SyncState = 'off';
  #lastError: string | null = null;
  #lastSuccess: number | null = null;
  #nextAttempt: number | null = null;
  #attempt = 0;
  #batchRecords: number = HUB_LIMITS.deviceBatchRecords;
  #prepared: PreparedBatch | null = null;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Number.POSITIVE_INFINITY;
  #busy = false;
  #again = false;
  #closed = false;
  #hello = true;
  #heartbeatAt = 0;
  /** A gap to acknowledge at the next heartbeat, and the hub's expected seq it was for. */
  #gap: HubGap | null = null;
  #gapFor: number | null = null;

  constructor(options: SyncLinkOptions) {
    // A default stands wherever an option is absent or undefined (an unset environment variable).
    this.#o = {
      ...options,
      heartbeatMs: options.heartbeatMs ?? 60_000,
      batchDelayMs: options.batchDelayMs ?? 250,
      pollMs: options.pollMs ?? 1000,
      timeoutMs: options.timeoutMs ?? 30_000,
      retry: options.retry ?? DEFAULT_RETRY,
      parkMs: options.parkMs ?? (options.retry ?? DEFAULT_RETRY).capMs,
    };
  }

  /** Load the enrollment (if any) and start; a stopped link (revoked, forked) stays stopped. */
  async start(): Promise<void> {
    const row = this.#o.ledger.link();
    if (!row) return;
    this.#row = row;
    if (row.stopped) {
      this.#state = row.stopped.startsWith('revoked') ? 'revoked' : 'forked';
      this.#lastError = row.stopped.replace(/^(revoked|forked): /, '');
      return;
    }
    try {
      const key = await loadDeviceKey(this.#o.keyFile);
      if (key.deviceId !== row.deviceId)
        throw new Error(`the device key is not the enrolled one (${row.deviceId})`);
      this.#target = { url: row.hubUrl, tlsPin: row.tlsPin, key, timeoutMs: this.#o.timeoutMs };
      this.#verifier = parseVerifierKey(row.hubKey);
    } catch (error) {
      this.#state = 'forked';
      this.#lastError = `the sync link cannot start: ${(error as Error).message}`;
      this.#o.log.error(this.#lastError);
      return;
    }
    this.#state = 'ok';
    this.#hello = true;
    this.#schedule(0);
  }

  async enroll(enrollment: string): Promise<SyncEnrollResponse> {
    const done = await enroll({
      enrollment,
      ledger: this.#o.ledger,
      keyFile: this.#o.keyFile,
      user: this.#o.user,
      version: this.#o.version,
      timeoutMs: this.#o.timeoutMs,
    });
    this.#o.log.info('enrolled with the team hub', { hub: done.hub, device: done.deviceId });
    this.#reset();
    await this.start();
    return { ...done, status: this.status() };
  }

  /** A record was appended: a batch leaves within the batch delay. */
  notify(): void {
    if (this.#state === 'ok' && !this.#closed) this.#schedule(this.#o.batchDelayMs, true);
  }

  status(): SyncStatus {
    const live = {
      state: this.#state,
      lastSuccess: this.#lastSuccess,
      lastError: this.#lastError,
      nextAttempt: this.#nextAttempt,
    };
    return syncStatus(this.#o.ledger, live, this.#row !== null);
  }

  /** The enrolled hub and its key while the link runs (IT's approvals use them); else null. */
  hub(): { target: HubTarget; verifier: NoteVerifier } | null {
    if (!this.#target || !this.#verifier || this.#state === 'revoked' || this.#state === 'forked')
      return null;
    return { target: this.#target, verifier: this.#verifier };
  }

  /** The timings in force (ms). */
  get timings(): {
    heartbeatMs: number;
    batchDelayMs: number;
    pollMs: number;
    timeoutMs: number;
    parkMs: number;
  } {
    const { heartbeatMs, batchDelayMs, pollMs, timeoutMs, parkMs } = this.#o;
    return { heartbeatMs, batchDelayMs, pollMs, timeoutMs, parkMs };
  }

  close(): void {
    this.#closed = true;
    this.#clear();
  }

  #reset(): void {
    this.#clear();
    this.#row = null;
    this.#target = null;
    this.#state = 'off';
    this.#lastError = null;
    this.#attempt = 0;
    this.#batchRecords = HUB_LIMITS.deviceBatchRecords;
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  /** Run a tick in `ms`, unless one is due sooner (`sooner`: only move it earlier). */
  #schedule(ms: number, sooner = false): void {
    if (this.#closed) return;
    const at = Date.now() + ms;
    if (sooner && this.#timerAt <= at) return;
    this.#clear();
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Number.POSITIVE_INFINITY;
      void this.#tick();
    }, ms);
    this.#timer.unref?.();
  }

  async #tick(): Promise<void> {
    if (this.#closed || !this.#target) return;
    if (this.#busy) {
      this.#again = true; // a notify came due mid-round: come back soon after it
      return;
    }
    this.#busy = true;
    let next: number;
    try {
      next = await this.#work();
      this.#attempt = 0;
      this.#nextAttempt = null;
    } catch (error) {
      next = this.#failed(error);
    } finally {
      this.#busy = false;
    }
    const again = this.#again;
    this.#again = false;
    if (next < 0) return;
    // While ok, a batch armed by notify() during the round keeps its (earlier) time.
    if (this.#state === 'ok') this.#schedule(again ? Math.min(next, this.#o.batchDelayMs) : next, true);
    else this.#schedule(next, false);
  }

  /** One round: a heartbeat when due, then one batch. Returns when to come back (ms). */
  async #work(): Promise<number> {
    if (this.#hello || Date.now() >= this.#heartbeatAt) {
      await this.#heartbeat();
      this.#hello = false;
      this.#heartbeatAt = Date.now() + this.#o.heartbeatMs;
    }
    const row = this.#o.ledger.link()!;
    const ready = this.#prepared;
    this.#prepared = null;
    const batch =
      ready && ready.after === row.ackedSeq && ready.limit === this.#batchRecords
        ? ready
        : await prepareBatch(this.#o.ledger, row.ackedSeq, this.#batchRecords);
    const wait = Math.min(this.#o.pollMs, Math.max(0, this.#heartbeatAt - Date.now()));
    if (!batch) {
      this.#state = 'ok';
      return wait;
    }
    const { rows } = batch;
    const last = rows.at(-1)!;
    const sending = this.#call({
      method: 'POST',
      path: HUB_PATHS.batches,
      body: batch.body,
      batch: true,
      treeSize: row.treeSize,
    });
    // The next batch is read and compressed while this one is in flight.
    const next = prepareBatch(this.#o.ledger, last.seq, this.#batchRecords).catch(() => null);
    const reply = await sending;
    this.#prepared = reply.status === 200 ? await next : null;
    if (reply.status !== 200) throw classify(reply, `batch of seq ${rows[0]!.seq}–${last.seq}`);
    if (!validBatch(reply.json)) throw this.#stop('forked', "the hub's acknowledgement is malformed");
    const ack = reply.json as HubBatchResponse;
    const acked = ack.acknowledged;
    const [local] = this.#o.ledger.hashesAt([acked.seq]);
    if (acked.seq < last.seq || local?.hash !== acked.hash) {
      throw this.#stop(
        'forked',
        `the hub acknowledged seq ${acked.seq} with another hash than the local chain's (batch ended at seq ${last.seq})`,
      );
    }
    const tree = checkReceipt(ack, { verifier: this.#verifier!, row, seq: acked.seq, hash: acked.hash });
    this.#o.ledger.acknowledge(ack.receipt, tree.root.toString('base64'), Date.now());
    this.#succeeded();
    if (this.#batchRecords < HUB_LIMITS.deviceBatchRecords)
      this.#batchRecords = Math.min(HUB_LIMITS.deviceBatchRecords, this.#batchRecords * 2);
    return this.#prepared || this.#o.ledger.firstAfter(last.seq) !== null ? 0 : wait;
  }

  async #heartbeat(): Promise<void> {
    const row = this.#o.ledger.link()!;
    const head = this.#o.ledger.head();
    const gap = this.#gap;
    const body = {
      head,
      backlog: head ? Math.max(0, head.seq - row.ackedSeq) : 0,
      time: Date.now(),
      ...(gap ? { gap } : {}),
      ...(this.#o.organisation ? { policy: this.#o.organisation.enforcedHash() } : {}),
    };
    const reply = await this.#call({
      method: 'POST',
      path: HUB_PATHS.heartbeat,
      body: Buffer.from(JSON.stringify(body)),
      treeSize: row.treeSize,
    });
    if (reply.status !== 200) throw classify(reply, 'heartbeat');
    if (!validHeartbeat(reply.json)) throw this.#stop('forked', "the hub's heartbeat answer is malformed");
    const beat = reply.json as HubHeartbeatResponse;
    checkHeartbeatTree(beat, this.#verifier!, row, this.#o.ledger);
    if (gap) this.#gap = null;
    await reconcile(beat.acknowledged, row, this.#o.ledger, this.#target!);
    if (beat.challenge) await this.#answer(beat.challenge.seqs);
    if (this.#o.organisation && beat.policy !== undefined) {
      await this.#o.organisation.offered(beat.policy, () => this.#fetchPolicy(), this.#verifier!);
    }
    // IT asked for a new device key (rotate.ts): from now on only the new key signs.
    if (beat.rotate)
      this.#target = { ...this.#target!, key: await rotateDeviceKey(this.#target!, this.#o.keyFile) };
    this.#succeeded();
  }

  async #answer(seqs: number[]): Promise<void> {
    const reply = await this.#call({
      method: 'POST',
      path: HUB_PATHS.challenge,
      body: Buffer.from(JSON.stringify({ answers: this.#o.ledger.hashesAt(seqs) })),
    });
    if (reply.status !== 200) throw classify(reply, 'challenge answer');
    if (validChallenge(reply.json) && !reply.json.ok) {
      throw new Forked(
        `the hub holds a different record at seq ${reply.json.firstDivergent ?? '?'}: the local chain was rewritten after it was synced`,
      );
    }
  }

  async #fetchPolicy(): Promise<unknown> {
    const reply = await this.#call({ method: 'GET', path: HUB_PATHS.policy });
    if (reply.status !== 200) throw new Error(`the hub answered ${reply.status} to the policy fetch`);
    return reply.json;
  }

  async #call(call: Parameters<typeof callHub>[1]): Promise<HubReply> {
    return callHub(this.#target!, call);
  }

  #succeeded(): void {
    this.#state = 'ok';
    this.#lastSuccess = Date.now();
  }

  /** Stop for good (persisted: a restart does not resume a revoked or forked link). */
  #stop(state: 'revoked' | 'forked', message: string): Stop {
    this.#state = state;
    this.#lastError = message;
    this.#o.ledger.setStopped(`${state}: ${message}`);
    this.#o.log.error(`team hub sync stopped: ${message}`);
    return new Stop(message);
  }

  /** Act on a failure; returns when to come back (ms), or -1 to stay stopped. */
  #failed(error: unknown): number {
    if (error instanceof Stop) return -1;
    if (error instanceof Forked) {
      this.#stop('forked', error.message);
      return -1;
    }
    let failure: Failure;
    if (error instanceof HubUnreachable)
      failure = { action: 'retry', message: error.message, retryAfterMs: null };
    else if (error && typeof error === 'object' && 'action' in error) failure = error as Failure;
    else {
      failure = { action: 'retry', message: `sync failed: ${(error as Error).message}`, retryAfterMs: null };
      this.#o.log.error(failure.message);
    }
    this.#lastError = failure.message;
    switch (failure.action) {
      case 'shrink':
        this.#batchRecords = Math.max(1, Math.floor(this.#batchRecords / 2));
        return 0;
      case 'revoked':
        this.#stop('revoked', failure.message);
        return -1;
      case 'fork':
        this.#stop('forked', failure.message);
        return -1;
      case 'gap':
      case 'park': {
        if (failure.action === 'gap' && prunedAt(this.#o.ledger, failure.expectedSeq)) {
          const expected = failure.expectedSeq!;
          this.#lastError = `records from seq ${expected} were pruned at the store's size cap before the hub acknowledged them (a gap the hub reports)`;
          const gap = this.#gapFor === expected ? null : acknowledgedGap(this.#o.ledger);
          if (gap) {
            // Tell the hub at the next heartbeat (it raises the gap alert), then go on from
            // the first record kept. Once per gap: a hub that still refuses parks the link.
            this.#gap = gap;
            this.#gapFor = expected;
            this.#hello = true;
            this.#o.log.error(
              `team hub sync alert: ${this.#lastError}; the hub is told (retention checkpoint at seq ${gap.checkpointSeq}) and sync goes on from seq ${gap.throughSeq + 1}`,
            );
            return 0;
          }
        }
        this.#state = 'parked';
        this.#o.log.error(`team hub sync alert: ${this.#lastError}; the batch is parked`);
        this.#nextAttempt = Date.now() + this.#o.parkMs;
        this.#hello = true;
        return this.#o.parkMs;
      }
      default: {
        const delay = retryDelay(this.#o.retry, this.#attempt++, failure.retryAfterMs);
        this.#state = 'backing-off';
        this.#nextAttempt = Date.now() + delay;
        this.#hello = true;
        return delay;
      }
    }
  }
}
