// The version handshake: this extension speaks the API of the Warden release it was built
// from; a daemon of another release line may not. Same major (and, before 1.0, same minor)
// is compatible; otherwise the user is told which side to update.

export type Handshake =
  | { ok: true }
  | { ok: false; newer: 'daemon' | 'extension'; message: string; hint: string };

function parse(version: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compare(a: [number, number, number], b: [number, number, number]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

export function handshake(extensionVersion: string, daemonVersion: string): Handshake {
  const ext = parse(extensionVersion);
  const daemon = parse(daemonVersion);
  if (!ext || !daemon) {
    return {
      ok: false,
      newer: 'daemon',
      message: `the Warden daemon reports version "${daemonVersion.slice(0, 40)}", which this extension (${extensionVersion}) cannot read`,
      hint: 'update the Warden extension to the release of your Warden daemon',
    };
  }
  const sameLine = ext[0] === daemon[0] && (ext[0] > 0 || ext[1] === daemon[1]);
  if (sameLine) return { ok: true };
  if (compare(daemon, ext) > 0) {
    return {
      ok: false,
      newer: 'daemon',
      message: `the Warden daemon (${daemonVersion}) is newer than this extension (${extensionVersion})`,
      hint: `install the Warden extension of release ${daemon[0]}.${daemon[1]} from the Extensions page`,
    };
  }
  return {
    ok: false,
    newer: 'extension',
    message: `the Warden daemon (${daemonVersion}) is older than this extension (${extensionVersion})`,
    hint: `update Warden to release ${ext[0]}.${ext[1]}, then stop the old daemon and start the new one with: warden daemon`,
  };
}
