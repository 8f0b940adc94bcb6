// The built-in detectors of spec.redact: the formats of common credentials and personal data.
// Each pattern has a bounded match length (the overlap the streaming scanner keeps). Where a
// pattern has a group, only the group (the end of the match) is masked: no lookbehinds, which
// V8 would try at every position.

import type { RedactAction, RedactDetector } from '../api/index.ts';
import {
  emailFinder,
  type Finder,
  literalFinder,
  type Pattern,
  prefixFinder,
  regexFinder,
} from './finders.ts';

/** Longest PEM block masked (an RSA 4096 key is about 3.3 KB). */
const PEM_MAX = 8192;

const PEM_SOURCE =
  /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:(?!-----END)[^\0]){0,8000}(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?/
    .source;
// Each with the plain literal (or case-insensitive word) every match holds, looked for first.
const pem = (): Pattern => [new RegExp(PEM_SOURCE, 'g'), 'BEGIN '];
const cloudKeys = (): Pattern[] => [
  // AWS secret access keys, where they are named.
  [
    /[sS][eE][cC][rR][eE][tT]_?(?:[aA][cC][cC][eE][sS][sS]_?)?[kK][eE][yY]["']?\s{0,3}[:=]>?\s{0,3}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/g,
    /secret/i,
  ],
  // A GCP service account's private key id and its key (a PEM block in its JSON).
  [/"private_key_id"\s{0,3}:\s{0,3}"([0-9a-f]{40})(?=")/g, 'private_key_id'],
  [new RegExp(`"private_key"\\s{0,3}:\\s{0,3}"(${PEM_SOURCE})`, 'g'), 'private_key'],
  // Azure storage and service bus keys in connection strings, and Entra ID client secrets.
  [/AccountKey=([A-Za-z0-9+/]{86}==)/g, 'AccountKey='],
  [/SharedAccessKey=([A-Za-z0-9+/]{43}=)/g, 'SharedAccessKey='],
  // (from its `Q~`: the three characters and digit before it are its id's, not its secret)
  [/Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g, 'Q~'],
];

// Few, distinct prefixes: each is one native search of the text.
const TOKENS: ReadonlyArray<readonly [string, RegExp]> = [
  ['gh', /gh[pousr]_[A-Za-z0-9]{36,251}(?![A-Za-z0-9_])/y],
  ['github_pat_', /github_pat_[A-Za-z0-9_]{22,247}(?![A-Za-z0-9_])/y],
  ['gl', /gl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])/y],
  ['xox', /xox[abposre]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/y],
  ['sk_live_', /sk_live_[A-Za-z0-9]{24,247}(?![A-Za-z0-9_])/y],
  ['rk_live_', /rk_live_[A-Za-z0-9]{24,247}(?![A-Za-z0-9_])/y],
  ['npm_', /npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/y],
  ['eyJ', /eyJ[A-Za-z0-9_-]{5,1000}\.eyJ[A-Za-z0-9_-]{5,4000}\.[A-Za-z0-9_-]{10,1000}(?![A-Za-z0-9_-])/y],
];

const AWS_KEY_IDS = ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AROA', 'ANPA', 'ANVA', 'AIPA'].map(
  (p) => [p, /[A-Z]{4}[A-Z0-9]{16}(?![A-Za-z0-9_])/y] as const,
);

/** The values a `vault` detector looks for, as UTF-8 byte strings. */
export interface VaultValues {
  values: readonly string[];
}

/** Shortest vault value looked for: a shorter one would mask ordinary words. */
export const MIN_VAULT_VALUE = 6;

export function builtinFinders(detector: RedactDetector, action: RedactAction, vault: VaultValues): Finder[] {
  switch (detector) {
    case 'cloud-keys':
      return [
        // AWS access key ids (long-term, temporary, and the others' prefixes), GCP API keys.
        prefixFinder('cloud-keys', action, 40, [
          ...AWS_KEY_IDS,
          ['AIza', /AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/y],
        ]),
        regexFinder('cloud-keys', action, PEM_MAX, cloudKeys()),
      ];
    case 'tokens':
      return [prefixFinder('tokens', action, 6100, TOKENS)];
    case 'private-keys':
      return [regexFinder('private-keys', action, PEM_MAX, [pem()])];
    case 'email':
      return [emailFinder(action)];
    case 'vault': {
      const values = vault.values.filter((v) => v.length >= MIN_VAULT_VALUE);
      return [
        prefixFinder('vault', action, 47, [['wdn_ph_', /wdn_ph_[0-9a-z]{40}/y]], false),
        literalFinder('vault', action, values),
      ];
    }
  }
}
