/**
 * The two steps before any signature an admin makes here: the admin
 * confirms what will be signed (unless --yes), then the key is unlocked.
 * The description is written to stderr, so it is seen even with --json
 * (whose stdout carries only the result), and passes through printable():
 * a script or name from the server cannot drive the terminal.
 */
import type { CliContext, Invocation } from '../context.js'
import { CliError } from '../errors.js'
import { printable } from '../io/output.js'
import { ttyPrompt } from '../io/passphrase.js'
import { loadPublicKey, unlockKey, type KeyInfo, type UnlockedKey } from '../keystore/keystore.js'
import { quote } from '../validate.js'

/**
 * Shows `description` and asks `question`; returns on "y" or "yes".
 * Throws CLI_CONFIRMATION_REQUIRED without a terminal, CLI_ABORTED on any
 * other answer. With `yes`, returns at once.
 *
 * @example
 * await confirmSigning(ctx, describeCommand(p, bytes, now), 'Sign this command with key "alice"?', opts.yes === true)
 */
export async function confirmSigning(ctx: CliContext, description: string, question: string, yes: boolean): Promise<void> {
  if (yes) return
  ctx.deps.stderr.write(printable(description.endsWith('\n') ? description : description + '\n'))
  const prompt = ctx.deps.prompt ?? ttyPrompt
  const answer = await prompt(`${question} Type "yes" to sign: `)
  if (answer === undefined) throw new CliError('CLI_CONFIRMATION_REQUIRED', 'nothing was signed: there is no terminal to confirm on')
  if (!/^\s*y(es)?\s*$/i.test(answer)) throw new CliError('CLI_ABORTED', 'nothing was signed', { hint: 'run the command again when you are sure' })
}

/**
 * The public half of a key, checked before anything is asked, so a typo in
 * a key name fails before a passphrase prompt.
 */
export function keyInfo(inv: Invocation, name: string): Promise<KeyInfo> {
  return loadPublicKey(inv.home, name)
}

/**
 * Unlocks key `name` of the invocation's keystore. The caller zeroes
 * `seed` when done (`try { … } finally { key.seed.fill(0) }`).
 */
export async function unlockForSigning(inv: Invocation, name: string, passphraseFile: string | undefined): Promise<UnlockedKey> {
  const passphrase = await inv.passphrase({ purpose: 'unlock', label: `key ${quote(name)}`, file: passphraseFile })
  return unlockKey(inv.home, name, passphrase)
}
