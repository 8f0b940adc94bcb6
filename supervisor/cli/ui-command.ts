// `warden ui`: browser mode. Starts the daemon if needed, has it open its loopback HTTP
// listener, prints the URL and opens it with $BROWSER, xdg-open or open unless --no-open.
// The URL carries a one-time code (good once, for a minute), never the API token: the
// opener's argv can be read by any local user with `ps`, and the page trades the code for
// its session on first load, so what `ps` shows is spent by then.

import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { connectOrStart, printJson } from './connect.ts';

/** The command that opens a URL here: $BROWSER first, then the platform's opener. */
export function browserCommand(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string[] | null {
  const browser = env.BROWSER?.split(':').find((b) => b.trim());
  if (browser) return browser.trim().split(/\s+/);
  if (platform === 'darwin') return ['open'];
  if (platform === 'win32') return ['cmd', '/c', 'start', '""'];
  return ['xdg-open'];
}

/** Try to open `url`; resolves with an error message instead of throwing. */
export function openUrl(url: string, command: string[] | null): Promise<string | null> {
  if (!command) return Promise.resolve('no browser opener is known here');
  const [bin, ...args] = command as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(bin, [...args, url], { stdio: 'ignore', detached: true });
    child.once('error', (e: NodeJS.ErrnoException) =>
      resolve(e.code === 'ENOENT' ? `${bin} is not installed` : e.message),
    );
    child.once('spawn', () => {
      child.unref();
      resolve(null);
    });
  });
}

export function uiCommand(): Command {
  return new Command('ui')
    .description('Open the Warden UI in the browser (browser mode), starting the daemon if needed.')
    .option('--no-open', 'print the URL without opening a browser')
    .option('--json', 'print JSON ({ url, openUrl, codeTtlSeconds })')
    .addHelpText(
      'after',
      '\nThe URL works once, within a minute (a one-time code, never the API token); run `warden ui`\nagain for a new one. A tab that has opened it keeps its session until it is closed.',
    )
    .action(async (opts: { open: boolean; json?: boolean }) => {
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const client = await connectOrStart(undefined, say);
      const ui = await client.call('POST /v1/ui');
      if (opts.json) printJson(ui);
      else {
        process.stdout.write(`${ui.openUrl}\n`);
        say(`(this link works once, within ${ui.codeTtlSeconds} s)`);
      }
      if (!opts.open) return;
      const problem = await openUrl(ui.openUrl, browserCommand());
      if (problem) say(`could not open a browser (${problem}); open the URL above yourself`);
    });
}
