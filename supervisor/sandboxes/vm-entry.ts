// What the VM sandboxes keep of each sandbox (its listener, its VM and how it was made), and
// the view of it the API gives.

import type { AgentPin, VmSandboxView } from '../api/index.ts';
import type { Vm, VmImage, WorkspaceShare } from '../vm/index.ts';
import type { Sandbox } from './sandbox.ts';

export interface Entry {
  sandbox: Sandbox;
  vm: Vm;
  image: VmImage;
  cpus: number;
  memoryMiB: number;
  diskMiB: number;
  workspace?: WorkspaceShare;
  agents: Array<{ pin: AgentPin; guestBin: string }>;
  agentHome?: string;
  fromPool: boolean;
  dispose: () => void;
  removing?: Promise<void>;
}

export function vmSandboxView(e: Entry): VmSandboxView {
  const s = e.sandbox;
  const view: VmSandboxView = {
    kind: 'vm',
    sandboxId: s.identity.sandboxId,
    label: s.label,
    user: s.identity.user,
    createdAt: s.createdAt,
    state: e.vm.state,
    image: { id: e.image.id, name: e.image.name },
    cpus: e.cpus,
    memoryMiB: e.memoryMiB,
    diskMiB: e.diskMiB,
    agents: e.agents.map((a) => ({ ...a.pin })),
    fromPool: e.fromPool,
    proxyPort: s.port,
    placeholders: { ...s.placeholders },
  };
  if (e.vm.reason) view.reason = e.vm.reason;
  if (e.agentHome) view.agentHome = e.agentHome;
  if (e.workspace) view.workspace = { hostPath: e.workspace.hostPath, readOnly: e.workspace.readOnly };
  if (e.vm.accel) view.accel = { accel: e.vm.accel.accel, reason: e.vm.accel.reason };
  if (e.vm.hello) view.bootMs = e.vm.hello.bootMs;
  const source = s.policySource();
  if (source) view.policySource = source;
  return view;
}
