// Errors of the secrets module. Messages name files, secrets and fields, never values.

/** The vault cannot be opened or written: which file, and what the user can do. */
export class VaultError extends Error {
  override name = 'VaultError';
  constructor(
    message: string,
    readonly file: string | undefined,
    readonly hint?: string,
  ) {
    super(hint ? `${message}. ${hint}` : message);
  }
}

/** A secret's name, hosts, inject mode or value is not acceptable. */
export class SecretValidationError extends Error {
  override name = 'SecretValidationError';
  constructor(
    message: string,
    /** `name`, `hosts`, `hosts[2]`, `inject` or `value`. */
    readonly field: string,
  ) {
    super(message);
  }
}
