// `warden hub admin create NAME`: an account for the hub's web page. The password comes from
// standard input (a prompt without echo on a terminal; piped otherwise), never from argv.

import { Command } from 'commander';
import { WardenError } from '../api/errors.ts';
import { defaultHubHome, openAdminStore } from '../hub/index.ts';
import { CliError, ExitCode } from './exit-codes.ts';

async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 4096) throw new CliError('the password on stdin is over 4096 bytes', ExitCode.usage);
    chunks.push(c);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Read one line from the terminal without echoing it. */
function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let text = '';
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliError('cancelled', ExitCode.usage));
        if (ch === '\u007f') text = text.slice(0, -1);
        else if (text.length < 1024) text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readPiped();
  const first = await prompt('Password: ');
  const again = await prompt('Again: ');
  if (first !== again) throw new CliError('the passwords differ', ExitCode.usage);
  return first;
}

export function adminCommand(): Command {
  const admin = new Command('admin').description("Accounts for the hub's web page (/admin)");
  admin.addCommand(
    new Command('create')
      .description('Create an admin (or set its password); the password is read from stdin')
      .argument('<name>', 'the sign-in name')
      .option('--home <dir>', "the hub's state folder", defaultHubHome())
      .option('--db <url>', 'sqlite:PATH (relative to --home) or postgres://user@host/db')
      .action(async (name: string, o: { home: string; db?: string }) => {
        const password = await readPassword();
        let store: Awaited<ReturnType<typeof openAdminStore>> | undefined;
        try {
          store = await openAdminStore(o.home, o.db);
          await store.createAdmin(name, password, Date.now());
        } catch (error) {
          if (error instanceof WardenError) throw new CliError(error.message, ExitCode.usage, error.hint);
          throw error;
        } finally {
          await store?.db.close();
        }
        process.stdout.write(`warden hub: admin ${name} can sign in at /admin\n`);
      }),
  );
  return admin;
}
