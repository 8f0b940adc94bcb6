// A cold boot's guest phases, from the times the guest prints to its console (stage 1,
// stage 2 and agent.sh read /proc/uptime) and the uptime in the agent's hello.

export interface BootPhases {
  /** Kernel start to stage 1's /init. */
  kernelMs: number;
  /** Stage 1: the kernel modules. */
  modulesMs: number;
  /** The root and disk mounts, switch_root and stage 2 (network, shares). */
  rootMs: number;
  /** Stage 2's end to agent.sh (busybox init). */
  initToAgentMs: number;
  /** agent.sh to the agent's hello: Node's start and the agent's own set-up. */
  agentMs: number;
}

const seconds = (text: string, re: RegExp): number | undefined => {
  const m = re.exec(text);
  return m ? Math.round(Number.parseFloat(m[1]!) * 1000) : undefined;
};

/** The phases of the boot whose console is `console` (the last of each line counts); undefined when a line is missing. */
export function bootPhases(console: string, helloUptimeMs: number): BootPhases | undefined {
  const last = (re: RegExp) => {
    const all = [...console.matchAll(new RegExp(re.source, 'g'))];
    return all.length ? seconds(all.at(-1)![0], re) : undefined;
  };
  const init = last(/warden-init: started at ([\d.]+)s/);
  const modules = last(/modules loaded at ([\d.]+)s/);
  const root = last(/warden-init: root ready at ([\d.]+)s/);
  const agent = last(/warden-agent: starting at ([\d.]+)s/);
  if (init === undefined || modules === undefined || root === undefined || agent === undefined)
    return undefined;
  return {
    kernelMs: init,
    modulesMs: modules - init,
    rootMs: root - modules,
    initToAgentMs: agent - root,
    agentMs: helloUptimeMs - agent,
  };
}
