/**
 * `palisade key …`: the admin signing keys on this machine.
 *
 *     palisade key generate --name <name> [--passphrase-file <path>]
 *     palisade key list
 *     palisade key show <name>
 *
 * Only public keys are ever printed. Key ids are the first 16 hex
 * characters of SHA-256(public key).
 */
import type { Command } from 'commander'
import { toBase64 } from '@palisade/protocol'
import type { CliContext } from '../context.js'
import { CliError } from '../errors.js'
import { formatFields, formatTable, type JsonValue } from '../io/output.js'
import { passphraseFileOption } from '../io/passphrase.js'
import { findKeyName, generateKey, listKeys, loadPublicKey, type KeyInfo } from '../keystore/keystore.js'
import { parseName, quote } from '../validate.js'

/** Registers `palisade key` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const key = program
    .command('key')
    .description('manage the admin signing keys on this machine (private keys never leave it)')

  key
    .command('generate')
    .description('create a new Ed25519 signing key, encrypted with a passphrase')
    .requiredOption('--name <name>', 'name of the key: 1 to 64 of A-Z a-z 0-9 . _ @ -', parseName)
    .addOption(passphraseFileOption())
    .action(async (opts: { name: string; passphraseFile?: string }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      // fail before asking for a passphrase the user would type in vain
      const clash = await findKeyName(inv.home, opts.name)
      if (clash !== undefined) throw new CliError('CLI_KEY_EXISTS', `a key named ${quote(clash)} already exists in ${inv.home}`)
      const passphrase = await inv.passphrase({ purpose: 'create', label: `key ${quote(opts.name)}`, file: opts.passphraseFile })
      const info = await generateKey(inv.home, opts.name, passphrase, ctx.random)
      inv.out.result(keyJson(info), () => `Generated key ${quote(info.name)}.\n` + keyFields(info))
    })

  key
    .command('list')
    .description('list the keys in the keystore')
    .action(async (_opts: unknown, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const keys = await listKeys(inv.home)
      inv.out.result({ keys: keys.map(keyJson) }, () =>
        keys.length === 0
          ? `No keys in ${inv.home}. Create one with \`palisade key generate --name <name>\`.`
          : formatTable(
              ['NAME', 'KEY ID', 'CREATED', 'PUBLIC KEY'],
              keys.map((k) => [k.name, k.keyId, k.createdAt, toBase64(k.publicKey)]),
            ),
      )
    })

  key
    .command('show')
    .description('show the public key and key id of a key')
    .argument('<name>', 'name of the key', parseName)
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const info = await loadPublicKey(inv.home, name)
      inv.out.result(keyJson(info), () => keyFields(info))
    })
}

function keyJson(info: KeyInfo): { readonly [k: string]: JsonValue } {
  return { name: info.name, publicKey: toBase64(info.publicKey), keyId: info.keyId, createdAt: info.createdAt, file: info.file }
}

function keyFields(info: KeyInfo): string {
  return formatFields([
    ['name', info.name],
    ['public key', toBase64(info.publicKey)],
    ['key id', info.keyId],
    ['created', info.createdAt],
    ['file', info.file],
  ])
}
