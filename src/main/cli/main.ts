#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { describeError, MailroomError } from '../../shared/errors.ts';
import { runCommand } from './commands.ts';

const USAGE = `Usage: mailroom <command> [options]

Commands:
  serve                              run the engine (the local relay) until Ctrl+C
  status                             relay address and queued deliveries by status
  settings list                      every setting with its value
  settings get KEY                   one setting
  settings set KEY VALUE             change a setting (validated)
  secret set NAME                    store a secret; the value is read from standard input
  secret list                        which secrets are configured (never their values)
  relay credentials [--rotate] [--show-password]
                                     the login mail programs use for the relay
  domains list | add DOMAIN | remove DOMAIN
                                     the domains you send from
  dkim generate DOMAIN [--selector S] [--algorithm rsa-2048|ed25519]
  dkim import DOMAIN --selector S --key FILE
                                     make or import a DKIM key; prints the DNS record to add
  dkim list | show DOMAIN --selector S | remove DOMAIN --selector S
  log [--message ID] [--recipient ADDRESS] [--limit N]
                                     deliveries and every attempt, newest first
  retry DELIVERY | --route direct|smarthost | --all
                                     try again now (also lifts a route's pause)
  smarthost presets                  the providers Mailroom knows
  smarthost use PRESET [--region R]  send through that provider
  dns check DOMAIN [--dns-server HOST:PORT] [--ip ADDR] [--dns-timeout MS]
                                     check SPF, DKIM, DMARC, MX (and reverse DNS when sending
                                     direct) live; exits 1 when something needs fixing or
                                     could not be checked
  dns records DOMAIN                 the DNS records to create for a sending domain
  dns status                         each sending domain as of its last check: ready, needs
                                     attention, waiting for DNS, or not checked
  backup FILE                        a consistent copy of the database and the spool in one
                                     .tar.gz, while Mailroom runs (secrets stay in the keychain)
  restore FILE                       a backup into an empty or new data folder (--data-dir);
                                     never overwrites anything
  contacts import FILE --list NAME [--dry-run] [--encoding E] [--delimiter D]
         [--map email=COLUMN,first_name=COLUMN,field:KEY=COLUMN,...] [--field-type KEY=text|number|date]
         [--field-label KEY=LABEL]...
         [--existing skip|fill|overwrite] [--basis TEXT] [--tag T]...
                                     import people from a CSV, text or vCard file onto a list,
                                     all or nothing (COLUMN: header name or 1-based position);
                                     --existing skip leaves known people's details (and the
                                     file's tags) alone; --tag and --list apply to everyone
  contacts imports                   every import, newest first
  contacts undo-import [ID]          undo an import (the last one when no ID is given)
  suppressions import FILE [--reason R] [--dry-run]
                                     add every address of the file to the suppressions
  lists list | add NAME | rename NAME NEW-NAME | remove NAME
                                     your lists (removing one keeps its people and suppressions)
  contacts list [--list NAME [--status subscribed|unsubscribed|pending]] [--tag T] [--search S] [--suppressed] [--segment NAME] [--limit N]
                                     contacts, newest first
  contacts show ADDRESS              one contact: lists, tags, fields, consent, suppression, deliveries
  contacts add ADDRESS [--first-name F] [--last-name L] [--company C] [--list NAME] [--tag T]...
               [--field key=value]... [--basis TEXT]
  contacts remove ADDRESS...         erase contacts; a hash of each address stays on the
                                     do-not-send list so no import brings it back
  contacts export FILE [--list NAME | --segment NAME]
                                     CSV (UTF-8, opens in Excel) with lists, tags, fields, consent
  suppressions list | add ADDRESS [--reason R] | remove ADDRESS --reason TEXT | export FILE
                                     the do-not-send list; removing needs a stated reason
  segments add NAME --where "city is Lyon and tag vip" | list | count NAME
                                     saved filters with a live count (--where also takes JSON)

Options:
  --data-dir DIR        data folder (default: MAILROOM_DATA_DIR, else the OS app-data folder)
  --secret-store KIND   keychain (default) or file (a 0600 file in the data folder, for servers);
                        also MAILROOM_SECRET_STORE
  --json                print machine-readable JSON
  -h, --help            this help
`;

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`mailroom: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help || parsed.positionals.length === 0) {
    process.stdout.write(USAGE);
    return parsed.values.help ? 0 : 2;
  }
  try {
    return await runCommand(parsed.positionals, parsed.values);
  } catch (err) {
    const { code, message } = describeError(err);
    process.stderr.write(`mailroom: ${message}\n`);
    if (code === 'INTERNAL' && process.env.MAILROOM_DEBUG && err instanceof Error)
      process.stderr.write(`${err.stack}\n`);
    if (code === 'USAGE') process.stderr.write(`\n${USAGE}`);
    return err instanceof MailroomError && code === 'USAGE' ? 2 : 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'data-dir': { type: 'string' },
      'secret-store': { type: 'string' },
      json: { type: 'boolean', default: false },
      rotate: { type: 'boolean', default: false },
      'show-password': { type: 'boolean', default: false },
      message: { type: 'string' },
      recipient: { type: 'string' },
      limit: { type: 'string' },
      selector: { type: 'string' },
      algorithm: { type: 'string' },
      key: { type: 'string' },
      route: { type: 'string' },
      all: { type: 'boolean', default: false },
      region: { type: 'string' },
      'dns-server': { type: 'string' },
      'dns-timeout': { type: 'string' },
      ip: { type: 'string' },
      list: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      encoding: { type: 'string' },
      delimiter: { type: 'string' },
      map: { type: 'string' },
      'field-type': { type: 'string', multiple: true },
      'field-label': { type: 'string', multiple: true },
      existing: { type: 'string' },
      basis: { type: 'string' },
      tag: { type: 'string', multiple: true },
      reason: { type: 'string' },
      search: { type: 'string' },
      suppressed: { type: 'boolean', default: false },
      segment: { type: 'string' },
      status: { type: 'string' },
      'first-name': { type: 'string' },
      'last-name': { type: 'string' },
      company: { type: 'string' },
      field: { type: 'string', multiple: true },
      where: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

export type CliOptions = ReturnType<typeof parse>['values'];

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`mailroom: ${err.message}\n`);
    process.exitCode = 1;
  },
);
