// The main entry of the legacy package (Freelens 1.x, OpenLens / Lens 6.5): CommonJS, the
// host's API on the global `LensExtensions` (the build maps `@freelensapp/extensions` to
// it). The same main side as Freelens 2 (warden-main.ts), plus the tray item these hosts
// still have: "Warden: N pending", its label a MobX computed the tray follows. Where main
// has no `Mobx` global the label is set once and the status bar carries the count.

import { Common, Main } from '@freelensapp/extensions';
import type { ShellEnv, ShellEnvContext } from '../main/terminals.ts';
import { electronNotification, startWardenMain, type WardenMain } from '../main/warden-main.ts';
import { trayLabel } from './tray-label.ts';

class WardenIpc extends Main.Ipc {}

/** The host's Mobx global in main (typed by the MobX API both 6 and 7 share). */
type MobxLike = Pick<typeof import('mobx'), 'observable' | 'computed'>;

export default class WardenLegacyExtension extends Main.LensExtension {
  #main: WardenMain | undefined;
  readonly #mobx = (globalThis as { Mobx?: MobxLike }).Mobx;
  readonly #pending = this.#mobx?.observable.box(0);
  readonly #connected = this.#mobx?.observable.box(false);

  override trayMenus = [
    {
      id: 'warden-pending',
      label: this.#mobx
        ? this.#mobx.computed(() => trayLabel(this.#connected?.get() ?? false, this.#pending?.get() ?? 0))
        : 'Warden',
      click: () => {
        void (this as unknown as { navigate?: (page: string) => Promise<void> }).navigate?.('agents');
      },
    },
  ];

  /** Governed Lens terminals (terminals.ts): the environment of each terminal the host opens. */
  override terminalShellEnvModifier = (ctx: ShellEnvContext, env: ShellEnv): ShellEnv =>
    this.#main ? this.#main.terminalEnv(ctx, env) : env;

  override async onActivate(): Promise<void> {
    const make = await electronNotification(async () => require('electron'));
    this.#main = await startWardenMain({
      ipc: WardenIpc.createInstance(this),
      folder: await this.getExtensionFileFolder(),
      log: (level, line) => Common.logger[level](`[warden] ${line}`),
      ...(make ? { makeNotification: make } : {}),
      showApproval: () => {
        void (this as unknown as { navigate?: (page: string) => Promise<void> }).navigate?.('agents');
      },
      onSnapshot: (s) => {
        this.#pending?.set(s.approvals.length);
        this.#connected?.set(s.connection.kind === 'connected');
      },
    });
  }

  override async onDeactivate(): Promise<void> {
    await this.#main?.stop();
    this.#main = undefined;
  }
}
