// The main entry of the Freelens 2 package: everything that touches the daemon runs here
// (the renderer is a browser page with no Node). See warden-main.ts.

import { Common, Main } from '@freelensapp/extensions';
import type { ShellEnv, ShellEnvContext } from './terminals.ts';
import { electronNotification, startWardenMain, type WardenMain } from './warden-main.ts';

class WardenIpc extends Main.Ipc {}

export default class WardenExtension extends Main.LensExtension {
  #main: WardenMain | undefined;

  /** Governed Lens terminals (terminals.ts): the environment of each terminal the host opens. */
  override terminalShellEnvModifier = (ctx: ShellEnvContext, env: ShellEnv): ShellEnv =>
    this.#main ? this.#main.terminalEnv(ctx, env) : env;

  override async onActivate(): Promise<void> {
    const make = await electronNotification(() => import('electron'));
    this.#main = await startWardenMain({
      ipc: WardenIpc.createInstance(this),
      folder: await this.getExtensionFileFolder(),
      log: (level, line) => Common.logger[level](`[warden] ${line}`),
      ...(make ? { makeNotification: make } : {}),
      showApproval: () => {
        void (this as unknown as { navigate?: (page: string) => Promise<void> }).navigate?.('agents');
      },
    });
  }

  override async onDeactivate(): Promise<void> {
    await this.#main?.stop();
    this.#main = undefined;
  }
}
