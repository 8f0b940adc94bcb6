// Errors about the CA's files carry the file and what the user can do about it.

export class CaError extends Error {
  override name = 'CaError';
  constructor(
    message: string,
    readonly file: string,
    readonly hint: string,
  ) {
    super(`${message}. ${hint}`);
  }
}

export function regenerateHint(dir: string): string {
  return (
    `To start over with a new CA, move the folder away (mv ${dir} ${dir}.old) and restart Warden; ` +
    `clients that trusted the old CA must then trust the new one`
  );
}
