/**
 * `palisade login`: use an org on a server with an API key an admin was
 * given (the first one comes from `palisade org init`).
 *
 *     palisade login --server <url> --org <id> (--api-key <key> | --api-key-file <path> | $PALISADE_API_KEY)
 *                    [--fingerprint <fp>]
 *
 * The key is checked by fetching the org's roots before it is saved in the
 * config (mode 0600). With --fingerprint (or a fingerprint pinned earlier)
 * the roots must verify from that pin; --fingerprint is then pinned for the
 * commands that check the server against it (`log audit`, `token create`).
 */
import type { Command } from 'commander'
import { isProtocolError, verifyRootChain } from '@palisade/protocol'
import { parseOrgId } from '../args/root-options.js'
import { Secret, saveConfig } from '../config/config.js'
import type { CliContext } from '../context.js'
import { CliError } from '../errors.js'
import { ApiClient } from '../http/client.js'
import { getRoots } from '../http/org-api.js'
import { orgSession } from '../http/session.js'
import { readFileBounded } from '../io/atomic-file.js'
import { formatFields } from '../io/output.js'
import { loadPin, parseFingerprint, savePin } from '../trust/pins.js'
import { quote } from '../validate.js'

export const API_KEY_ENV = 'PALISADE_API_KEY'
const API_KEY_RE = /^[\x21-\x7e]{16,512}$/

interface LoginOptions {
  org: string
  apiKey?: string
  apiKeyFile?: string
  fingerprint?: string
}

/** Registers `palisade login`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('login')
    .description('use an org on a server with an API key (checked, then saved in the config)')
    .requiredOption('--org <id>', 'org id', parseOrgId)
    .option('--api-key <key>', `API key (visible to other local users in the process list: prefer --api-key-file or $${API_KEY_ENV})`)
    .option('--api-key-file <path>', 'read the API key from the first line of a file')
    .option('--fingerprint <fp>', 'root fingerprint to verify the org against, and pin', parseFingerprint)
    .action(async (opts: LoginOptions, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const server = await inv.serverUrl()
      const apiKey = await apiKeyFrom(opts, ctx.deps.env)
      const session = orgSession(new ApiClient({ server, apiKey }), opts.org)
      const roots = await getRoots(session)
      const pin = opts.fingerprint ?? (await loadPin(inv.home, opts.org))
      let checked: { version: number } | undefined
      if (pin !== undefined) {
        try {
          const chain = verifyRootChain({ pinned: pin }, roots, Math.floor(Date.now() / 1000))
          checked = { version: chain[chain.length - 1]!.root.version }
        } catch (e) {
          if (!isProtocolError(e)) throw e
          throw new CliError('CLI_SERVER_UNTRUSTED', `the roots of org ${quote(opts.org)} at ${server} do not verify from fingerprint ${pin}: ${e.message}`, {
            server,
            cause: e,
            hint: 'check the fingerprint with the admin who set up the org; nothing was saved',
          })
        }
      }
      const config = await inv.config()
      await saveConfig(inv.home, { ...config, server, orgId: opts.org, apiToken: apiKey })
      if (opts.fingerprint !== undefined) await savePin(inv.home, opts.org, opts.fingerprint)
      inv.out.result(
        { server, org: opts.org, apiKeyPrefix: apiKey.prefix, fingerprint: pin ?? null, rootVersion: checked?.version ?? null },
        () =>
          `Logged in to org ${quote(opts.org)}.\n` +
          formatFields([
            ['server', server],
            ['API key', apiKey.prefix],
            ['root', pin === undefined ? 'NOT checked (no fingerprint pinned: pass --fingerprint)' : `v${checked!.version}, verified from fingerprint ${pin}`],
          ]),
      )
    })
}

async function apiKeyFrom(opts: LoginOptions, env: Readonly<Record<string, string | undefined>>): Promise<Secret> {
  const given = [opts.apiKey !== undefined, opts.apiKeyFile !== undefined].filter(Boolean).length
  if (given > 1) throw new CliError('CLI_ARG_INVALID', 'give either --api-key or --api-key-file, not both')
  let key = opts.apiKey
  if (opts.apiKeyFile !== undefined) key = await readApiKeyFile(opts.apiKeyFile)
  key ??= env[API_KEY_ENV] === '' ? undefined : env[API_KEY_ENV]
  if (key === undefined) {
    throw new CliError('CLI_ARG_INVALID', 'no API key: pass --api-key-file <path>, --api-key <key>, or set $' + API_KEY_ENV)
  }
  if (!API_KEY_RE.test(key)) throw new CliError('CLI_ARG_INVALID', 'the API key is not 16 to 512 printable ASCII characters')
  return new Secret(key)
}

/** The first line of an API key file (the user names it: pipes and /dev/fd work). */
async function readApiKeyFile(path: string): Promise<string> {
  const invalid = (why: string): CliError => new CliError('CLI_IO', `cannot read the API key from ${path}: ${why}`, { details: { path } })
  const raw = await readFileBounded(path, 4096, { onInvalid: invalid, allowSpecial: true })
  if (raw === undefined) throw invalid('no such file')
  const line = (raw.toString('utf8').split('\n', 1)[0] ?? '').replace(/\r$/, '').trim()
  raw.fill(0)
  if (line === '') throw invalid('its first line is empty')
  return line
}
