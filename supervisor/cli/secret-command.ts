// `warden secret set|ls|rm`: values come from standard input, never from the command line.

import { Command, Option } from 'commander';
import { connect, printJson } from './connect.ts';
import { CliError, ExitCode } from './exit-codes.ts';

async function readValue(name: string): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    process.stderr.write(`value of ${name} (input hidden): `);
    stdin.setRawMode(true);
    const value = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            return resolve(buf);
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            return reject(new CliError('cancelled', ExitCode.failed));
          }
          buf = ch === '\u007f' ? buf.slice(0, -1) : buf + ch;
        }
      };
      stdin.on('data', onData);
    }).finally(() => {
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    });
    return value;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  // One trailing newline (from echo or a file) is not part of the value.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function secretCommand(): Command {
  const cmd = new Command('secret').description(
    'Manage secrets injected by the proxy (values are never shown).',
  );
  cmd
    .command('set')
    .description('Store a secret; its value is read from standard input.')
    .argument('<name>', 'the secret name (also the environment variable holding its placeholder)')
    .requiredOption('--host <host...>', 'hosts the secret may be sent to (exact, *.domain or **.domain)')
    .addOption(
      new Option(
        '--inject <mode>',
        'where the value replaces the placeholder the client sends (nothing is added to requests ' +
          'without it): bearer | basic (Authorization) | header:NAME | query:PARAM; or tls-client: ' +
          'the base64 of a client certificate and key PEM that the proxy presents to the hosts ' +
          "a policy's spec.network.upstreams names",
      ).default('bearer'),
    )
    .action(async (name: string, opts: { host: string[]; inject: string }) => {
      const value = await readValue(name);
      if (!value) throw new CliError('the value is empty; pipe it on standard input', ExitCode.usage);
      const client = await connect();
      const view = await client.call('PUT /v1/secrets/:name', {
        params: { name },
        body: { value, hosts: opts.host, inject: opts.inject as 'bearer' },
      });
      process.stdout.write(`stored ${view.name} for ${view.hosts.join(', ')} (${view.inject})\n`);
    });
  cmd
    .command('ls')
    .description('List secret names and their bindings.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await (await connect()).call('GET /v1/secrets');
      if (opts.json) return printJson(list);
      if (list.length === 0) return void process.stdout.write('no secrets\n');
      for (const s of list) process.stdout.write(`${s.name}  ${s.inject}  ${s.hosts.join(', ')}\n`);
    });
  cmd
    .command('rm')
    .description('Remove a secret.')
    .argument('<name>')
    .action(async (name: string) => {
      await (await connect()).call('DELETE /v1/secrets/:name', { params: { name } });
      process.stdout.write(`removed ${name}\n`);
    });
  return cmd;
}
