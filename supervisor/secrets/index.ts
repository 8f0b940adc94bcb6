// Public face of the secrets module: the vault, placeholders and per-request injection.

export { createDeepScanner, type DeepScanner, findPlaceholdersDeep } from './encoded-scan.ts';
export { SecretValidationError, VaultError } from './errors.ts';
export {
  applySecrets,
  type HeaderMap,
  type InjectionContext,
  type InjectionResult,
  type SecretRequest,
  type SecretSource,
  type SecretViolation,
  UNKNOWN_SECRET,
  type ViolationReason,
} from './inject.ts';
export { KEYRING_SERVICE, type KeyringStore, probeKeyring, systemKeyring } from './keyring.ts';
export { type KeyBackend, keyringAccount } from './master-key.ts';
export { type PlaceholderOwner, PlaceholderRegistry } from './placeholders.ts';
export {
  assertOwnerOnly,
  PrivateFileModeError,
  readIfExists,
  writeFileAtomic,
} from './private-file.ts';
export {
  createStreamRedactor,
  type RedactNeedle,
  redactionNeedles,
  redactRawHeaders,
  type StreamRedactor,
} from './redact.ts';
export {
  type BodyScanner,
  createBodyScanner,
  findPlaceholders,
  PLACEHOLDER_LENGTH,
  PLACEHOLDER_PREFIX,
} from './scanner.ts';
export {
  clientCertificateOf,
  normalizeSecretHosts,
  parseInjectMode,
  SECRET_NAME,
  validateSecretName,
} from './validate.ts';
export { type SetSecretOptions, Vault, type VaultOpenOptions } from './vault.ts';
