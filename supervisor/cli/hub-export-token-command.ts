// `warden hub export token create|ls|rm`: tokens for the streaming `GET /v1/export` (OCSF
// NDJSON). The token is printed once; the hub keeps only its SHA-256.

import { Command } from 'commander';
import { openExportStreamDb } from '../hub/exports/open-stream.ts';
import type { ExportStreamDb } from '../hub/exports/stream-db.ts';
import { printJson } from './connect.ts';
import { CliError, ExitCode } from './exit-codes.ts';

interface Common {
  home: string;
  db?: string;
}

export interface ExportTokenKit {
  withCommon(cmd: Command): Command;
  asCliError(error: unknown): unknown;
  parseDuration(text: string): number;
}

export function exportTokenCommand({ withCommon, asCliError, parseDuration }: ExportTokenKit): Command {
  const withDb = async <T>(o: Common, fn: (db: ExportStreamDb) => Promise<T>): Promise<T> => {
    let db: ExportStreamDb;
    try {
      db = await openExportStreamDb(o.home, o.db);
    } catch (error) {
      throw asCliError(error);
    }
    try {
      return await fn(db);
    } catch (error) {
      throw asCliError(error);
    } finally {
      await db.close();
    }
  };
  const cmd = new Command('token').description('Tokens for GET /v1/export (the OCSF NDJSON stream)');
  cmd.addCommand(
    withCommon(new Command('create'))
      .description('Print a new export token (shown once; the hub keeps its hash)')
      .requiredOption('--name <name>', 'a name for the token (who uses it)')
      .option('--expires <duration>', 'how long it is valid', '30d')
      .action(async (o: Common & { name: string; expires: string }) => {
        const ttl = parseDuration(o.expires);
        await withDb(o, async (db) => {
          const token = await db.createToken(o.name, Date.now(), ttl);
          process.stdout.write(`${token}\n`);
          process.stderr.write(
            `(export token ${o.name}; expires ${new Date(Date.now() + ttl).toISOString()}; use: curl -H "Authorization: Bearer $TOKEN" HUB/v1/export)\n`,
          );
        });
      }),
  );
  cmd.addCommand(
    withCommon(new Command('ls'))
      .description('List export tokens (names and expiry; never the tokens)')
      .option('--json', 'print JSON')
      .action(async (o: Common & { json?: boolean }) => {
        await withDb(o, async (db) => {
          const all = await db.tokens();
          if (o.json) return printJson(all);
          for (const t of all)
            process.stdout.write(
              `${t.name}  created ${new Date(t.created).toISOString()}  expires ${new Date(t.expires).toISOString()}${t.expires <= Date.now() ? ' (expired)' : ''}\n`,
            );
          if (all.length === 0)
            process.stdout.write('no export token (warden hub export token create --name NAME)\n');
        });
      }),
  );
  cmd.addCommand(
    withCommon(new Command('rm'))
      .description('Remove an export token (it stops working at once)')
      .argument('<name>')
      .action(async (name: string, o: Common) => {
        await withDb(o, async (db) => {
          if (!(await db.removeToken(name)))
            throw new CliError(
              `no export token named ${name}`,
              ExitCode.failed,
              'See warden hub export token ls.',
            );
          process.stdout.write(`removed ${name}\n`);
        });
      }),
  );
  return cmd;
}
