// Where the daemon listens, found as the CLI and the desktop app find it: $WARDEN_HOME, else
// the platform's application-data folder, or a folder the user chose. The layout mirrors
// supervisor/home/paths.ts (which this client may not import); test/extension/ checks they agree.

import path from 'node:path';
import type { DaemonLocation } from '../common/ipc.ts';

export interface LocationInputs {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  homedir: string;
  /** A state folder chosen in the preferences; wins over the environment. */
  chosen?: string;
}

export function wardenHome({ env, platform, homedir, chosen }: LocationInputs): string {
  if (chosen) return path.resolve(chosen);
  if (env.WARDEN_HOME) return path.resolve(env.WARDEN_HOME);
  if (platform === 'darwin') return path.join(homedir, 'Library', 'Application Support', 'Warden');
  if (platform === 'win32')
    return path.join(env.APPDATA ?? path.join(homedir, 'AppData', 'Roaming'), 'Warden');
  return path.join(env.XDG_DATA_HOME ?? path.join(homedir, '.local', 'share'), 'warden');
}

export function daemonLocation(inputs: LocationInputs): DaemonLocation {
  const home = wardenHome(inputs);
  return { home, socket: path.join(home, 'warden.sock'), tokenFile: path.join(home, 'token') };
}
