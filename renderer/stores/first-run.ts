// The first run: with no sandbox and no traffic yet, the app leads the user through starting
// one VM sandbox in a workspace with a policy preset. The preset's text and the base policy
// are shown before anything starts; while it starts, the progress is: the preset's agent
// installed (when it has one not installed yet), the VM image built (when there is none),
// both long work with their own progress and Cancel in the tasks strip, then the sandbox's
// lifecycle events (requested → booting → running, or the error with its reason).

import { action, makeObservable, observable, observableRef, runInAction } from 'mobx';
import type { SandboxStateEvent, WardenEvent } from '../../supervisor/api/events.ts';
import type { PolicyResponse, PresetView } from '../../supervisor/api/messages.ts';
import type { ImageView, SandboxView } from '../../supervisor/api/sandbox-types.ts';
import { type BridgeError, toBridgeError, type WardenClient } from '../client/client.ts';
import type { Clock } from './approvals.ts';
import { Resource } from './resource.ts';

export type FirstRunPhase = 'choose' | 'starting' | 'running' | 'failed';

export interface FirstRunStep {
  state: string;
  at: number;
  reason?: string;
}

export interface FirstRunChoice {
  preset: string;
  workspace: string;
  image: string;
  label: string;
}

export class FirstRunStore {
  readonly presets: Resource<PresetView[]>;
  readonly images: Resource<ImageView[]>;
  readonly basePolicy: Resource<PolicyResponse>;
  choice: FirstRunChoice = { preset: '', workspace: '', image: '', label: 'first-sandbox' };
  phase: FirstRunPhase = 'choose';
  /** Lifecycle changes seen since Start, oldest first (the first is the request itself). */
  steps: FirstRunStep[] = [];
  error: BridgeError | null = null;
  sandbox: SandboxView | null = null;
  /** The user chose to skip the guide (kept for this window). */
  dismissed = false;
  readonly #client: WardenClient;
  readonly #clock: Clock;

  constructor(client: WardenClient, clock: Clock) {
    this.#client = client;
    this.#clock = clock;
    this.presets = new Resource(() => client.listPresets());
    this.images = new Resource(() => client.listImages());
    this.basePolicy = new Resource(() => client.getPolicy());
    makeObservable(this, {
      choice: observable,
      phase: observable,
      steps: observableRef,
      error: observableRef,
      sandbox: observableRef,
      dismissed: observable,
      choose: action,
      dismiss: action,
      onEvent: action,
    });
  }

  load(): Promise<unknown> {
    return Promise.all([this.presets.load(), this.images.load(), this.basePolicy.load()]);
  }

  choose(patch: Partial<FirstRunChoice>): void {
    this.choice = { ...this.choice, ...patch };
  }

  dismiss(): void {
    this.dismissed = true;
  }

  get preset(): PresetView | undefined {
    return this.presets.value?.find((p) => p.name === this.choice.preset);
  }

  /** What is missing before Start can be pressed, in words (empty when ready). */
  get missing(): string[] {
    const out: string[] = [];
    if (!this.preset) out.push('a preset');
    if (!this.choice.workspace.trim()) out.push('a workspace folder');
    return out;
  }

  #step(state: string): void {
    runInAction(() => {
      this.steps = [...this.steps, { state, at: this.#clock.now() }];
    });
  }

  /** Starts the sandbox through the API; the steps fill in from its sandbox.state events. */
  async start(): Promise<void> {
    const preset = this.preset;
    if (!preset || this.phase === 'starting') return;
    runInAction(() => {
      this.phase = 'starting';
      this.error = null;
      this.steps = [];
    });
    try {
      const agent = preset.needs?.agent;
      if (agent) {
        const installed = await this.#client.listAgents();
        if (!installed.some((a) => a.name === agent)) {
          this.#step('AGENT');
          await this.#client.addAgent({ body: { spec: agent } });
        }
      }
      // With no image the daemon builds one first; the sandbox's own events follow it.
      if (!this.choice.image && this.images.value?.length === 0) this.#step('IMAGE');
      else this.#step('REQUESTED');
      const { sandbox } = await this.#client.createSandbox({
        body: {
          kind: 'vm',
          label: this.choice.label.trim() || 'first-sandbox',
          preset: { yaml: preset.yaml, source: preset.source },
          workspace: { path: this.choice.workspace.trim() },
          ...(this.choice.image ? { image: this.choice.image } : {}),
          ...(agent ? { agents: [agent] } : {}),
          ...(preset.needs ? { cpus: preset.needs.cpus, memoryMiB: preset.needs.memoryMiB } : {}),
        },
      });
      runInAction(() => {
        this.sandbox = sandbox;
        this.phase = 'running';
        if (!this.steps.some((s) => s.state === 'RUNNING'))
          this.steps = [...this.steps, { state: 'RUNNING', at: this.#clock.now() }];
      });
    } catch (error) {
      runInAction(() => {
        this.error = toBridgeError(error);
        this.phase = 'failed';
      });
    }
  }

  /** A lifecycle change of the sandbox being started (the only one starting on a first run). */
  onEvent(event: WardenEvent): void {
    if (this.phase !== 'starting' || event.type !== 'sandbox.state') return;
    const e = event as SandboxStateEvent;
    if (this.steps.some((s) => s.state === e.state)) return;
    this.steps = [
      ...this.steps,
      {
        state: e.state,
        at: this.#clock.now(),
        ...(e.reason ? { reason: e.reason } : {}),
      },
    ];
  }
}
