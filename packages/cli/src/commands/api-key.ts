/**
 * `palisade api-key`: the org's API keys (needs a key with the `admin` scope).
 *
 *     palisade api-key create --name <name> --scope <scope>… [--expires-in-days <d>]
 *     palisade api-key list
 *     palisade api-key revoke <id>
 *
 * A created key is printed once, on stdout only, and never saved: hand it to
 * whoever needs it (CI, a colleague's `palisade login`). The server keeps a
 * hash; lost keys are revoked and replaced, never recovered.
 */
import { Option, type Command } from 'commander'
import { ID_RE } from '@palisade/protocol'
import { integerOption } from '../args/duration.js'
import type { CliContext } from '../context.js'
import { CliError } from '../errors.js'
import { createApiKey, listApiKeys, revokeApiKey } from '../http/api-keys-api.js'
import { openOrgSession } from '../http/session.js'
import { formatFields, formatTable } from '../io/output.js'
import { quote } from '../validate.js'

/** The scopes a key may carry (server auth/access.ts SCOPES). */
export const API_KEY_SCOPES = ['read', 'devices', 'commands', 'directory', 'admin'] as const

const NAME_RE = /^[^\p{Cc}]{1,200}$/u

/** Registers `palisade api-key` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const cmd = program.command('api-key').description('API keys of the org: create (shown once), list, revoke')

  cmd
    .command('create')
    .description('create an API key; it is printed once and cannot be shown again')
    .requiredOption('--name <name>', 'what the key is for (1 to 200 characters)', parseName)
    .addOption(new Option('--scope <scope...>', 'scopes of the key (repeatable)').choices([...API_KEY_SCOPES]).makeOptionMandatory())
    .option('--expires-in-days <days>', 'lifetime in days (1 to 365, default 90)', integerOption('--expires-in-days', 1, 365))
    .action(async (opts: { name: string; scope: string[]; expiresInDays?: number }, c: Command) => {
      const inv = ctx.invocation(c)
      const session = await openOrgSession(inv)
      const k = await createApiKey(session, opts.name, [...new Set(opts.scope)], opts.expiresInDays)
      const expires = k.expiresAt === null ? 'never' : new Date(k.expiresAt).toISOString()
      inv.out.result({ id: k.id, key: k.key, prefix: k.prefix, scopes: [...k.scopes], expiresAt: k.expiresAt }, () =>
        `${k.key}\n\n` +
        formatFields([
          ['id', k.id],
          ['scopes', k.scopes.join(', ')],
          ['expires', expires],
        ]) +
        'This is the only time the key is shown: store it now (e.g. palisade login --api-key-file).',
      )
    })

  cmd
    .command('list')
    .description('list the API keys of the org (never their secrets)')
    .action(async (_opts: unknown, c: Command) => {
      const inv = ctx.invocation(c)
      const keys = await listApiKeys(await openOrgSession(inv))
      const time = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString())
      const state = (k: (typeof keys)[number]): string =>
        k.revokedAt !== null ? 'revoked' : k.expiresAt !== null && k.expiresAt <= Date.now() ? 'expired' : 'active'
      inv.out.result({ apiKeys: keys.map((k) => ({ ...k, scopes: [...k.scopes] })) }, () =>
        keys.length === 0
          ? 'No API keys.'
          : formatTable(
              ['ID', 'NAME', 'PREFIX', 'SCOPES', 'STATE', 'EXPIRES', 'LAST USED'],
              keys.map((k) => [k.id, k.name, `pal_${k.prefix}_…`, k.scopes.join(','), state(k), time(k.expiresAt), k.lastUsedAt === null ? 'never' : `${time(k.lastUsedAt)} ${k.lastUsedAddr ?? ''}`.trim()]),
            ),
      )
    })

  cmd
    .command('revoke')
    .description('revoke an API key (it stops working at once; revoking twice is harmless)')
    .argument('<id>', 'the key id (from `palisade api-key list`)', parseId)
    .action(async (id: string, _opts: unknown, c: Command) => {
      const inv = ctx.invocation(c)
      const r = await revokeApiKey(await openOrgSession(inv), id)
      inv.out.result({ id: r.id, revokedAt: r.revokedAt }, () => `Revoked API key ${r.id}.`)
    })
}

function parseName(value: string): string {
  if (!NAME_RE.test(value)) throw new CliError('CLI_ARG_INVALID', `invalid --name ${quote(value)}: give 1 to 200 characters, no control characters`)
  return value
}

function parseId(value: string): string {
  if (!ID_RE.test(value)) throw new CliError('CLI_ARG_INVALID', `invalid key id ${quote(value)}`)
  return value
}
