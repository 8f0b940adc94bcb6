// What the hub does for each request once it is authenticated: enrollment, batches,
// heartbeats (with challenges), challenge answers, heads and checkpoints. The HTTP layer
// (http-server.ts) authenticates and decodes; this file decides.

import { createHash, randomBytes, randomInt } from 'node:crypto';
import { WardenError } from '../api/errors.ts';
import type {
  HubBatchResponse,
  HubChallengeAnswer,
  HubChallengeResult,
  HubEnrollRequest,
  HubEnrollResponse,
  HubGap,
  HubHeadsResponse,
  HubHeartbeatRequest,
  HubHeartbeatResponse,
  HubPolicyDocument,
  HubRecord,
} from '../api/hub.ts';
import { deviceIdOf } from '../hub-protocol/enrollment.ts';
import { formatVerifierKey } from '../tlog/note.ts';
import { activeDevice, ingestBatch } from './ingest.ts';
import type { HubLog } from './log.ts';
import type { HubPolicies } from './policies.ts';
import type { DeviceRow, HubStore, StoredCheckpoint } from './store.ts';

export interface HubServiceOptions {
  store: HubStore;
  log: HubLog;
  now?: () => number;
  /** Chance that a heartbeat is answered with a challenge (0..1; default 0.1). */
  challengeRate?: number;
  /** Seqs per challenge besides the head (default 8). */
  challengeSize?: number;
  /** A device clock further off than this is flagged (default 5 minutes). */
  maxClockSkewMs?: number;
  /** A device not heard from for this long is flagged silent (default 10 minutes). */
  silentAfterMs?: number;
  /** The organisation policies it pushes (none: heartbeats offer none). */
  policies?: HubPolicies;
}

const HOUR = 3_600_000;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new one-time token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export class HubService {
  readonly store: HubStore;
  readonly log: HubLog;
  readonly now: () => number;
  readonly policies?: HubPolicies;
  readonly #challengeRate: number;
  readonly #challengeSize: number;
  readonly #maxSkew: number;
  readonly #silentAfter: number;

  constructor(o: HubServiceOptions) {
    this.store = o.store;
    this.log = o.log;
    this.now = o.now ?? Date.now;
    if (o.policies) this.policies = o.policies;
    this.#challengeRate = o.challengeRate ?? 0.1;
    this.#challengeSize = o.challengeSize ?? 8;
    this.#maxSkew = o.maxClockSkewMs ?? 5 * 60_000;
    this.#silentAfter = o.silentAfterMs ?? 10 * 60_000;
  }

  get verifierKey(): string {
    return formatVerifierKey(this.log.signer);
  }

  async latest(): Promise<StoredCheckpoint> {
    return (await this.store.checkpoint()) ?? this.log.empty();
  }

  /** Mint a one-time enrollment token; the hub keeps only its hash. */
  async createToken(ttlMs: number): Promise<{ token: string; expiresAt: number }> {
    const token = newToken();
    const now = this.now();
    await this.store.addToken(tokenHash(token), now, now + ttlMs);
    return { token, expiresAt: now + ttlMs };
  }

  /** `keyid` and the signature were checked against `req.publicKey` by the caller. */
  async enroll(req: HubEnrollRequest): Promise<HubEnrollResponse> {
    const publicKey = Buffer.from(req.publicKey, 'base64');
    const id = deviceIdOf(publicKey);
    const existing = await this.store.device(id);
    if (existing?.revokedAt) activeDevice(existing, id);
    const outcome = await this.store.enroll(tokenHash(req.token), this.now(), {
      id,
      publicKey: req.publicKey,
      user: req.user,
      machine: req.machine,
      os: req.os,
      version: req.wardenVersion,
      enrolledAt: this.now(),
      startSeq: req.start.seq,
      startPrev: req.start.prevHash,
      enrollHead: req.head,
    });
    if (outcome !== 'ok') {
      const why = {
        'unknown-token': 'the enrollment token is not one this hub issued',
        'expired-token': 'the enrollment token has expired',
        'spent-token': 'the enrollment token was already used',
      }[outcome];
      await this.#alertOnce(
        id,
        'enroll-failed',
        null,
        `failed enrollment of ${req.user}@${req.machine}: ${why}`,
      );
      throw new WardenError('Unauthorized', why, 'Ask IT for a new token: warden hub token create.');
    }
    const device = (await this.store.device(id))!;
    return {
      deviceId: id,
      hubKey: this.verifierKey,
      origin: this.log.origin,
      checkpoint: (await this.latest()).note,
      acknowledged: device.head,
    };
  }

  batch(device: DeviceRow, records: readonly HubRecord[], seenSize: number): Promise<HubBatchResponse> {
    return ingestBatch(this, device.id, records, seenSize);
  }

  async heartbeat(
    device: DeviceRow,
    req: HubHeartbeatRequest,
    seenSize: number,
  ): Promise<HubHeartbeatResponse> {
    const now = this.now();
    await this.store.touch(device.id, now, req.backlog);
    const skew = req.time - now;
    if (Math.abs(skew) > this.#maxSkew) {
      await this.#alertOnce(
        device.id,
        'clock-skew',
        null,
        `the device clock is ${Math.round(skew / 1000)} s off the hub's`,
      );
    }
    const hub = device.head;
    if (req.gap) await this.#acknowledgeGap(device, req.gap, now);
    let suspicious = false;
    if (req.head && hub && req.head.seq < hub.seq) {
      suspicious = true;
      await this.#alertOnce(
        device.id,
        'rollback',
        req.head.seq,
        `the device reports head ${req.head.seq} but the hub holds up to ${hub.seq}: an older copy of its audit database was restored`,
      );
    }
    if (req.head && hub && req.head.seq <= hub.seq) {
      const held = (await this.store.hashesAt(device.id, [req.head.seq])).get(req.head.seq);
      if (held !== undefined && held !== req.head.hash) {
        suspicious = true;
        await this.#alertOnce(
          device.id,
          'fork',
          req.head.seq,
          `the device's record ${req.head.seq} differs from the hub's`,
        );
      }
    }
    let challenge = device.challenge;
    if (!challenge && hub && (suspicious || Math.random() < this.#challengeRate)) {
      challenge = this.#pickChallenge(device, hub.seq, req.head?.seq);
      await this.store.transaction(device.id, (tx) => tx.setChallenge(challenge));
    }
    const latest = await this.latest();
    const policy = this.policies ? await this.#policyOffer(device.id, req.policy ?? null, now) : undefined;
    return {
      time: now,
      acknowledged: hub,
      challenge: challenge ? { seqs: challenge } : null,
      checkpoint: latest.note,
      consistency:
        seenSize <= latest.size ? await this.log.consistency(this.store, seenSize, latest.size) : null,
      ...(policy !== undefined ? { policy } : {}),
    };
  }

  /**
   * The device says its size cap pruned records the hub never got. Recorded (and alerted)
   * when it covers the hub's next expected seq: the batch after it is then taken.
   */
  async #acknowledgeGap(device: DeviceRow, gap: HubGap, now: number): Promise<void> {
    const expected = device.head ? device.head.seq + 1 : device.startSeq;
    if (gap.throughSeq < expected || gap.checkpointSeq <= gap.throughSeq) return;
    const fresh = await this.store.declareGap({ device: device.id, fromSeq: expected, ...gap, at: now });
    if (!fresh) return;
    await this.store.alert({
      device: device.id,
      kind: 'gap',
      seq: expected,
      message: `records ${expected}…${gap.throughSeq} were pruned on the device (its store's size cap) before the hub received them; its retention checkpoint is record ${gap.checkpointSeq}; sync continues from ${gap.throughSeq + 1}`,
      at: now,
    });
  }

  async #policyOffer(device: string, reported: string | null, now: number) {
    const policies = this.policies as HubPolicies;
    await policies.report(device, reported, now);
    const meant = await policies.forDevice(device);
    return meant ? { hash: meant.hash, serial: meant.serial } : null;
  }

  /** `GET /hub/v1/policy`: the policy meant for the device, with its signed note. */
  async policy(device: DeviceRow): Promise<HubPolicyDocument> {
    const meant = await this.policies?.forDevice(device.id);
    if (!meant) throw new WardenError('NotFound', 'no organisation policy is meant for this device');
    return { note: meant.note, yaml: meant.yaml };
  }

  /** Close the store and the policies' connection. */
  async close(): Promise<void> {
    await this.policies?.close();
    await this.store.close();
  }

  #pickChallenge(device: DeviceRow, hubHead: number, deviceHead: number | undefined): number[] {
    const top = Math.min(hubHead, deviceHead ?? hubHead);
    const seqs = new Set<number>([top]);
    const span = top - device.startSeq + 1;
    for (let i = 0; i < this.#challengeSize && seqs.size < span; i++)
      seqs.add(device.startSeq + randomInt(span));
    return [...seqs].filter((s) => s >= 1).sort((a, b) => a - b);
  }

  async answer(device: DeviceRow, req: HubChallengeAnswer): Promise<HubChallengeResult> {
    const held = await this.store.hashesAt(
      device.id,
      req.answers.map((a) => a.seq),
    );
    let firstDivergent: number | null = null;
    for (const a of req.answers) {
      const h = held.get(a.seq);
      if (
        a.hash !== null &&
        h !== undefined &&
        h !== a.hash &&
        (firstDivergent === null || a.seq < firstDivergent)
      ) {
        firstDivergent = a.seq;
      }
    }
    await this.store.transaction(device.id, (tx) => tx.setChallenge(null));
    if (firstDivergent !== null) {
      await this.store.alert({
        device: device.id,
        kind: 'fork',
        seq: firstDivergent,
        message: `challenge: the device's record ${firstDivergent} differs from the one it synced (rewritten after sync)`,
        at: this.now(),
      });
    }
    return { ok: firstDivergent === null, firstDivergent };
  }

  async heads(device: DeviceRow, seqs: readonly number[]): Promise<HubHeadsResponse> {
    const held = await this.store.hashesAt(device.id, seqs);
    return { acknowledged: device.head, heads: seqs.map((seq) => ({ seq, hash: held.get(seq) ?? null })) };
  }

  /** Flag devices not heard from for too long (once each per silence). */
  async sweepSilent(): Promise<string[]> {
    const now = this.now();
    const flagged: string[] = [];
    for (const d of await this.store.devices()) {
      if (d.revokedAt !== null) continue;
      const last = d.lastSeen ?? d.enrolledAt;
      if (now - last < this.#silentAfter) continue;
      if (await this.store.hasAlert(d.id, 'silent', last)) continue;
      await this.store.alert({
        device: d.id,
        kind: 'silent',
        seq: d.head?.seq ?? null,
        message: `no word from the device since ${new Date(last).toISOString()}`,
        at: now,
      });
      flagged.push(d.id);
    }
    return flagged;
  }

  async #alertOnce(
    device: string,
    kind: 'clock-skew' | 'rollback' | 'fork' | 'enroll-failed',
    seq: number | null,
    message: string,
  ) {
    const now = this.now();
    if (await this.store.hasAlert(device, kind, now - HOUR)) return;
    await this.store.alert({ device, kind, seq, message, at: now });
  }
}
