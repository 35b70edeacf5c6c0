/**
 * The owner account of `palisade org init`: the first console login of the
 * org, created by the server in the same transaction as the org (docs/WIRE.md
 * "Setup and org", `owner`).
 *
 *     --owner-username u --owner-email e --owner-name n [--owner-password-file f]
 *
 * All or nothing: some owner flags without the others is an error naming
 * the missing one. The password comes from the first line of
 * --owner-password-file or from a prompt without echo, typed twice, and
 * never from a flag value or the environment (both end up in shell
 * history, `ps` or crash reports). It is sent once, in the setup body, and
 * never printed.
 */
import { Option, type Command } from 'commander'
import { ACCOUNT_USERNAME_RE, emailOption, fileOption, textOption, usernameOption } from '../args/directory-options.js'
import type { CliContext } from '../context.js'
import { CliError, isCliError } from '../errors.js'
import type { SetupOwner } from '../http/setup-api.js'
import { readPassphraseFile, ttyPrompt } from '../io/passphrase.js'
import { quote } from '../validate.js'

/** The owner flags as commander parses them. */
export interface OwnerOptions {
  ownerUsername?: string
  ownerEmail?: string
  ownerName?: string
  ownerPasswordFile?: string
}

// The server's policy (accounts/password-policy.ts) is the judge; this catches a typo before any prompt for a key.
const MIN_PASSWORD = 12
const MAX_PASSWORD = 256

/**
 * Adds the owner flags to `cmd`.
 *
 * @example
 * addOwnerOptions(program.command('init'))
 */
export function addOwnerOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--owner-username <username>', 'create a console account that owns the org: its login name').argParser(usernameOption('--owner-username', ACCOUNT_USERNAME_RE)))
    .addOption(new Option('--owner-email <email>', "the owner account's email address").argParser(emailOption('--owner-email')))
    .addOption(new Option('--owner-name <name>', "the owner account's full name").argParser(textOption('--owner-name', 1, 200)))
    .addOption(new Option('--owner-password-file <path>', "read the owner's password from the first line of a file (else it is asked for twice, without echo)").argParser(fileOption('--owner-password-file')))
}

/** True when any owner flag was given. */
export function wantsOwner(opts: OwnerOptions): boolean {
  return opts.ownerUsername !== undefined || opts.ownerEmail !== undefined || opts.ownerName !== undefined || opts.ownerPasswordFile !== undefined
}

/**
 * The owner to send, or undefined when no owner flag was given. Reads the
 * password from the file or the terminal; throws CLI_ARG_INVALID naming a
 * missing flag, CLI_PASSPHRASE_REQUIRED without a file or terminal,
 * CLI_PASSPHRASE_MISMATCH / CLI_PASSPHRASE_WEAK for a mistyped or short password.
 *
 * @example
 * const owner = await ownerAccount(ctx, opts)
 */
export async function ownerAccount(ctx: CliContext, opts: OwnerOptions): Promise<SetupOwner | undefined> {
  if (!wantsOwner(opts)) return undefined
  const missing = ([['--owner-username', opts.ownerUsername], ['--owner-email', opts.ownerEmail], ['--owner-name', opts.ownerName]] as const)
    .filter(([, v]) => v === undefined)
    .map(([flag]) => flag)
  if (missing.length > 0) {
    throw new CliError('CLI_ARG_INVALID', `the owner account needs ${missing.join(' and ')} too (the owner flags go together)`, {
      hint: 'give --owner-username, --owner-email and --owner-name (and --owner-password-file, or type the password when asked), or none of them',
    })
  }
  const username = opts.ownerUsername!
  const password = opts.ownerPasswordFile === undefined ? await promptPassword(ctx, username) : await passwordFile(opts.ownerPasswordFile)
  const length = [...password].length
  if (length < MIN_PASSWORD || length > MAX_PASSWORD) {
    throw new CliError('CLI_PASSPHRASE_WEAK', `the owner password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters long`, {
      hint: 'choose a longer password (a few random words work well); it must not contain the username',
    })
  }
  return { username, email: opts.ownerEmail!, name: opts.ownerName!, password }
}

async function passwordFile(path: string): Promise<string> {
  try {
    return await readPassphraseFile(path)
  } catch (e) {
    if (!isCliError(e, 'CLI_PASSPHRASE_FILE')) throw e
    throw new CliError('CLI_PASSPHRASE_FILE', e.message.replace('passphrase file', '--owner-password-file'), {
      hint: 'the first line of the file is the password',
      ...(e.details === undefined ? {} : { details: e.details }),
    })
  }
}

async function promptPassword(ctx: CliContext, username: string): Promise<string> {
  const prompt = ctx.deps.prompt ?? ttyPrompt
  const password = await prompt(`Password for the console account ${quote(username)}: `)
  if (password === undefined) {
    throw new CliError('CLI_PASSPHRASE_REQUIRED', `a password for the console account ${quote(username)} is needed and there is no terminal to ask on`, {
      hint: 'pass --owner-password-file <path> (the password is never taken from a flag or the environment)',
    })
  }
  const again = await prompt('Repeat the password: ')
  if (again !== password) throw new CliError('CLI_PASSPHRASE_MISMATCH', 'the two passwords differ', { hint: 'run the command again and type the same password twice' })
  return password
}
