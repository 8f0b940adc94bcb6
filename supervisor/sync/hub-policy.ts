// The organisation policy the team hub pushes, on the device: each heartbeat answer names
// the policy meant for it (hash and serial); when that differs from the one held, the device
// fetches it, checks the hub's signed note against the hub key it enrolled with, checks the
// YAML's hash against the note, refuses a serial older than the one it holds (a rollback),
// then keeps it (organisation-policy.json in $WARDEN_HOME, so a restart enforces it offline)
// and hands it to the daemon. A refused policy leaves the held one in force, with a warning.

import { readFile, rename, writeFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import {
  HUB_POLICY_NOTE_HEADER,
  type HubPolicyDocument,
  HubPolicyDocumentSchema,
  type HubPolicyOffer,
} from '../api/hub.ts';
import type { OrganisationOrigin } from '../api/policy-types.ts';
import { formatPolicyError, type PolicyLayer, parsePolicy, policyHash } from '../policy/index.ts';
import { type NoteVerifier, openNote } from '../tlog/note.ts';

const validDocument = new Ajv({ allErrors: true, strict: false }).compile<HubPolicyDocument>(
  HubPolicyDocumentSchema,
);

export class HubPolicyRefused extends Error {
  override readonly name = 'HubPolicyRefused';
}

export interface VerifiedHubPolicy {
  layer: PolicyLayer;
  serial: number;
  document: HubPolicyDocument;
}

/** What the sync link asks of the device's organisation policy. */
export interface HubPolicyHook {
  /** The organisation policy hash the device enforces (reported in each heartbeat). */
  enforcedHash(): string | null;
  /** A heartbeat's offer; `fetch` gets the document from the hub (a signed request). */
  offered(offer: HubPolicyOffer | null, fetch: () => Promise<unknown>, verifier: NoteVerifier): Promise<void>;
}

/**
 * Check a fetched policy: the schema, the hub's signature on the note, the YAML's hash, a
 * serial of at least `minSerial`, and a valid policy. Throws HubPolicyRefused saying which.
 */
export function openHubPolicy(
  raw: unknown,
  verifier: NoteVerifier,
  minSerial: number,
  source: string,
): VerifiedHubPolicy {
  if (!validDocument(raw)) throw new HubPolicyRefused('the hub sent a malformed policy document');
  let text: string;
  try {
    text = openNote(raw.note, [verifier]).text;
  } catch (error) {
    throw new HubPolicyRefused(
      `its signature does not verify with the enrolled hub key: ${(error as Error).message}`,
    );
  }
  const m = /^([^\n]+)\nserial (\d{1,15})\ngroup ([^\n]+)\n(sha256:[0-9a-f]{64})\n$/.exec(text);
  if (!m || m[1] !== HUB_POLICY_NOTE_HEADER)
    throw new HubPolicyRefused('its signed note is not an organisation policy note');
  const serial = Number(m[2]);
  const hash = m[4] as string;
  if (policyHash(raw.yaml) !== hash)
    throw new HubPolicyRefused(`its bytes do not have the signed hash ${hash}`);
  if (serial < minSerial) {
    throw new HubPolicyRefused(
      `its serial ${serial} is older than the ${minSerial} already enforced (a rollback)`,
    );
  }
  const where = `${source} serial ${serial}`;
  const parsed = parsePolicy(raw.yaml, where);
  if (!parsed.ok)
    throw new HubPolicyRefused(
      `it is not a valid policy: ${parsed.errors.map(formatPolicyError).join('; ')}`,
    );
  const origin: OrganisationOrigin = { kind: 'hub', hash, signedBy: verifier.name, serial };
  if (m[3] !== '*') origin.group = m[3] as string;
  return {
    layer: { layer: 'organisation', source: where, document: parsed.document, lines: parsed.lines, origin },
    serial,
    document: raw,
  };
}

export interface HubPolicyReceiverDeps {
  /** Where the accepted policy is kept (0600). */
  file: string;
  /** Where the policy came from, for messages (the hub's URL). */
  source: () => string;
  /** Enforce this policy (undefined: none), or keep the current one and show `warning`. */
  apply: (layer: PolicyLayer | undefined, warning?: string) => void;
  /** The organisation policy hash enforced now (a managed file's wins). */
  enforcedHash: () => string | null;
}

export class HubPolicyReceiver implements HubPolicyHook {
  readonly #deps: HubPolicyReceiverDeps;
  #held: VerifiedHubPolicy | null = null;

  constructor(deps: HubPolicyReceiverDeps) {
    this.#deps = deps;
  }

  /** Enforce the policy kept from an earlier run, if it still verifies. */
  async restore(verifier: NoteVerifier | null): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(this.#deps.file, 'utf8'));
    } catch {
      return;
    }
    if (!verifier) return;
    try {
      this.#held = openHubPolicy(raw, verifier, 0, this.#deps.source());
      this.#deps.apply(this.#held.layer);
    } catch (error) {
      this.#deps.apply(
        undefined,
        `the kept team hub policy ${this.#deps.file} is refused: ${(error as Error).message}`,
      );
    }
  }

  enforcedHash(): string | null {
    return this.#deps.enforcedHash();
  }

  async offered(
    offer: HubPolicyOffer | null,
    fetch: () => Promise<unknown>,
    verifier: NoteVerifier,
  ): Promise<void> {
    const held = this.#held;
    if (!offer || offer.hash === held?.layer.origin?.hash) return;
    const refuse = (why: string) =>
      this.#deps.apply(
        held?.layer,
        `the team hub's policy serial ${offer.serial} (${offer.hash}) was refused: ${why}`,
      );
    if (held && offer.serial <= held.serial) {
      return refuse(`its serial is not newer than the ${held.serial} already enforced (a rollback)`);
    }
    try {
      const next = openHubPolicy(await fetch(), verifier, held ? held.serial + 1 : 0, this.#deps.source());
      const tmp = `${this.#deps.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(next.document), { mode: 0o600 });
      await rename(tmp, this.#deps.file);
      this.#held = next;
      this.#deps.apply(next.layer);
    } catch (error) {
      refuse((error as Error).message);
    }
  }
}
