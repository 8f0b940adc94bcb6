// What the compiled `warden run` (run-native.ts) leaves to the Node CLI. That client starts in
// a third of Node's time but carries only the run path: starting the daemon, building a guest
// image and installing an agent are first-run work, done by `bin/warden.mjs` with the same
// arguments. Under Node no hand-over is set and these calls return at once.

type HandOver = (why: string) => Promise<never>;

let handOver: HandOver | undefined;

/** Set once by the compiled client's entry. */
export function setHandOver(fn: HandOver): void {
  handOver = fn;
}

/**
 * Returns when this process can do `why` itself; in the compiled client, runs the Node CLI
 * with this process's arguments instead and never returns (the process exits with its code).
 * Call it before anything is printed or started: the Node CLI does the whole command again.
 */
export async function needsNodeCli(why: string): Promise<void> {
  if (handOver) await handOver(why);
}
