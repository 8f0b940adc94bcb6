// The device's side of IT's approvals: the cards of approvals an organisation rule sends to IT
// go to the hub as soon as they wait (and the list of those still waiting, so the hub withdraws
// the rest), and a long poll brings IT's answers back at once. An answer counts only when its
// note is signed by the enrolled hub key over this device's id and the approval's id; it then
// answers the approval with provenance `hub` and the admin's name. Nothing here decides: a hub
// that never answers leaves the approval to expire (denied), with the reason saying why.

import { Ajv } from 'ajv';
import { HUB_PATHS } from '../api/hub.ts';
import {
  HUB_IT_LIMITS,
  type HubItAnswer,
  HubItAnswersSchema,
  type HubItCard,
  itAnswerText,
} from '../api/hub-approvals.ts';
import type { ApprovalView } from '../api/index.ts';
import { type NoteVerifier, openNote } from '../tlog/note.ts';
import { callHub, type HubTarget, replyError } from './hub-client.ts';

const validAnswers = new Ajv({ strict: false }).compile(HubItAnswersSchema);

export interface ItRelayDeps {
  /** The enrolled hub, while the sync link runs. */
  hub: () => { target: HubTarget; verifier: NoteVerifier } | null;
  /** The approvals for IT waiting on this device. */
  open: () => ApprovalView[];
  /** Release an approval with IT's answer (throws when it is no longer waiting). */
  apply: (answer: HubItAnswer) => void;
  log: { warn(message: string): void };
  /** How long each answers poll waits on the hub (ms; default 20 s). */
  waitMs?: number;
  /** Pause after a failed call (ms; default 1 s). */
  retryMs?: number;
}

export function cardOf(v: ApprovalView): HubItCard {
  return {
    id: v.id,
    sandboxId: v.sandboxId,
    user: v.user,
    method: v.method,
    scheme: v.scheme,
    host: v.host,
    port: v.port,
    path: v.path,
    ...(v.query !== undefined ? { query: v.query } : {}),
    reason: v.reason,
    createdAt: v.createdAt,
    expiresAt: v.expiresAt,
    ...(v.mcp ? { mcp: v.mcp } : {}),
  };
}

export class ItApprovalRelay {
  readonly #d: ItRelayDeps;
  /** Ids the hub has, and the open list it was last told. */
  readonly #posted = new Set<string>();
  #told = '';
  #posting = false;
  #postAgain = false;
  #polling = false;
  #closed = false;
  #lastError: string | null = null;

  constructor(deps: ItRelayDeps) {
    this.#d = deps;
  }

  /** Something changed (an approval for IT waits or closed): tell the hub, and wait for answers. */
  wake(): void {
    if (this.#closed) return;
    // After the queue settles: an approval's event is emitted before the queue drops it, and
    // the hub must hear the list without it (else the withdrawal waits for the next long poll).
    setImmediate(() => {
      if (this.#closed) return;
      void this.#post();
      if (!this.#polling && this.#d.open().length) void this.#poll();
    });
  }

  /** Why an approval for IT was not answered (the refusal's reason). */
  expiredReason(v: ApprovalView): string {
    const seconds = Math.round((Date.parse(v.expiresAt) - Date.parse(v.createdAt)) / 1000);
    const hub = this.#d.hub();
    if (!hub)
      return `approval timed out: it needs IT's answer on the team hub, but this device has no working link to a hub (warden sync status): denied after ${seconds} s`;
    const why = this.#lastError ? `; the team hub could not be reached: ${this.#lastError}` : '';
    return `approval timed out: IT did not answer on the team hub ${new URL(hub.target.url).origin} within ${seconds} s${why}: denied`;
  }

  close(): void {
    this.#closed = true;
  }

  async #post(): Promise<void> {
    if (this.#posting) {
      this.#postAgain = true;
      return;
    }
    this.#posting = true;
    try {
      for (let round = 0; round < 1000 && !this.#closed; round++) {
        this.#postAgain = false;
        const open = this.#d.open().slice(0, HUB_IT_LIMITS.maxOpen);
        const ids = open.map((v) => v.id);
        for (const id of [...this.#posted]) if (!ids.includes(id)) this.#posted.delete(id);
        const cards = open.filter((v) => !this.#posted.has(v.id)).slice(0, HUB_IT_LIMITS.maxCards);
        const told = ids.join(',');
        if (!cards.length && told === this.#told) {
          if (!this.#postAgain) return;
          continue;
        }
        const hub = this.#d.hub();
        if (!hub) return;
        const ok = await this.#call(hub.target, HUB_PATHS.itApprovals, {
          cards: cards.map(cardOf),
          open: ids,
        });
        if (ok) {
          for (const c of cards) this.#posted.add(c.id);
          this.#told = told;
        } else if (this.#d.open().length) await sleep(this.#d.retryMs ?? 1000);
        else return;
      }
    } finally {
      this.#posting = false;
    }
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    try {
      for (let round = 0; round < 100_000 && !this.#closed && this.#d.open().length; round++) {
        const hub = this.#d.hub();
        if (!hub) return;
        const waitMs = this.#d.waitMs ?? 20_000;
        const target = { ...hub.target, timeoutMs: waitMs + hub.target.timeoutMs };
        const reply = await this.#call(target, HUB_PATHS.itAnswers, { waitMs });
        if (!reply) {
          await sleep(this.#d.retryMs ?? 1000);
          continue;
        }
        if (!validAnswers(reply)) {
          this.#d.log.warn("the team hub's answers to IT's approvals are malformed: ignored");
          await sleep(this.#d.retryMs ?? 1000);
          continue;
        }
        for (const a of reply.answers) this.#take(a, hub.target.key.deviceId, hub.verifier);
        void this.#post();
      }
    } finally {
      this.#polling = false;
    }
  }

  #take(a: HubItAnswer, device: string, verifier: NoteVerifier): void {
    try {
      const { text } = openNote(a.note, [verifier]);
      if (text !== itAnswerText(a, device)) throw new Error('the signed note is not over this answer');
    } catch (error) {
      this.#d.log.warn(`IT's answer to approval ${a.id} is refused: ${(error as Error).message}`);
      return;
    }
    try {
      this.#d.apply(a);
    } catch (error) {
      this.#d.log.warn(`IT's answer to approval ${a.id} was not applied: ${(error as Error).message}`);
    }
  }

  /** One signed call; the JSON answer, or null (the error kept for the refusal's reason). */
  async #call(target: HubTarget, path: string, body: unknown): Promise<unknown> {
    try {
      const reply = await callHub(target, { method: 'POST', path, body: Buffer.from(JSON.stringify(body)) });
      if (reply.status === 200) {
        this.#lastError = null;
        return reply.json;
      }
      const e = replyError(reply);
      this.#lastError = `it answered ${reply.status}${e ? ` ${e.name}: ${e.message}` : ''}`;
    } catch (error) {
      this.#lastError = (error as Error).message;
    }
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}
