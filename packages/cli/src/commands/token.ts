/**
 * `palisade token create`: a one-time enrollment token, and the command
 * that enrolls a device with it.
 *
 *     palisade token create [--ttl 24h] [--uses 1] [--fingerprint <fp>]
 *
 * The install command carries the root fingerprint that every device will
 * pin, so it is the one thing the server must not get to choose: the CLI
 * refuses a fingerprint other than the pinned one, and prints a command it
 * assembled itself from checked parts, never the server's text (which could
 * carry anything a shell would run).
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { CliError } from '../errors.js'
import { durationOption, formatDuration, integerOption } from '../args/duration.js'
import { createEnrollmentToken } from '../http/org-api.js'
import { openOrgSession } from '../http/session.js'
import { formatFields } from '../io/output.js'
import { parseFingerprint, requirePin } from '../trust/pins.js'
import { parseServerUrl, quote } from '../validate.js'

/** Characters a token may have: shell-safe, URL-safe. */
const TOKEN_RE = /^[A-Za-z0-9._~+/=-]{8,512}$/

/** Registers `palisade token` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('enrollment tokens for new devices')

  token
    .command('create')
    .description('create a one-time enrollment token and print the command that enrolls a device')
    .option('--ttl <duration>', 'how long the token is valid (1m to 7d)', durationOption('--ttl', 60, 7 * 86400), 86400)
    .option('--uses <n>', 'how many devices may enroll with it (1 to 10000)', integerOption('--uses', 1, 10000), 1)
    .option('--fingerprint <fp>', 'the root fingerprint devices must pin (default: the pinned one)', parseFingerprint)
    .action(async (opts: { ttl: number; uses: number; fingerprint?: string }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const session = await openOrgSession(inv)
      const pin = await requirePin(inv.home, session.org, opts.fingerprint)
      const t = await createEnrollmentToken(session, opts.ttl, opts.uses)
      if (t.fingerprint !== pin) {
        throw new CliError('CLI_SERVER_UNTRUSTED', `the server at ${session.server} put root fingerprint ${quote(t.fingerprint)} in the install command, not the pinned ${pin}`, {
          server: session.server,
          hint: 'do not enroll devices with this server: devices would trust a root the org did not sign',
        })
      }
      if (!TOKEN_RE.test(t.token)) {
        throw new CliError('CLI_SERVER_RESPONSE', `the server at ${session.server} issued a token with unexpected characters`, { server: session.server })
      }
      const agentServer = serverOfInstallCommand(t.installCommand) ?? session.server
      const installCommand = ['palisade', 'agent', 'enroll', '--server', agentServer, '--token', t.token, '--fingerprint', pin].map(shellWord).join(' ')
      const expires = t.expiresAt === null ? 'unknown' : new Date(t.expiresAt).toISOString()
      inv.out.result(
        { installCommand, token: t.token, server: agentServer, fingerprint: pin, expiresAt: t.expiresAt, uses: opts.uses },
        () =>
          `${installCommand}\n\n` +
          formatFields([
            ['valid for', `${formatDuration(opts.ttl)} (until ${expires}), ${opts.uses} enrollment${opts.uses === 1 ? '' : 's'}`],
            ['fingerprint', `${pin} (checked against the pinned root)`],
          ]) +
          'Run the command above as root on the device; it enrolls the device and pins the org root.',
      )
    })
}

/**
 * The URL after `--server` in the server's install command, when it is a
 * valid server URL: the server knows the address agents reach it at, which
 * may differ from the admin's. Anything else in that text is ignored.
 */
function serverOfInstallCommand(text: string): string | undefined {
  const m = /(?:^|\s)--server\s+(\S+)/.exec(text)
  if (m === null) return undefined
  try {
    return parseServerUrl(m[1]!.replace(/^'(.*)'$/, '$1'))
  } catch {
    return undefined
  }
}

/** A word as a POSIX shell reads it back unchanged. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9._~:/@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}
