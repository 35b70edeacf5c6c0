/**
 * `palisade agent …`: this machine as a managed device.
 *
 *     palisade agent enroll --server <url> [--fallback-server <url>…] --token <token> --fingerprint <fp> [--state-dir <dir>]
 *     palisade agent run    [--state-dir <dir>] [--policy <file>] [--server <url>] [--fallback-server <url>…]
 *     palisade agent status [--state-dir <dir>]
 *
 * `--server` is the global option (the install command that
 * `palisade token create` prints puts it after `enroll`, which commander
 * accepts). `--fallback-server` (repeatable) names other nodes of the same
 * server: the agent moves to the next URL whenever a connection ends.
 * Given to `enroll`, the list is kept in the state directory; given to
 * `run` (with or without `--server`), it is used for that run only. The state directory defaults to /var/lib/palisade-agent when
 * run as root (the systemd service), else ~/.palisade-agent. The token is
 * never printed, not even in an error. `agent run` runs until SIGINT or
 * SIGTERM, then closes the connection and waits for a command in progress
 * to finish (a second signal exits at once: that command is then reported
 * as interrupted at the next start, and never run again).
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { Option } from 'commander'
import {
  agentStatus,
  defaultStateDir,
  enroll,
  isAgentError,
  lineLogger,
  LOCAL_POLICY_PATH,
  runAgentUntilSignal,
  type AgentStatus,
  type AnyAgentError,
} from '@palisade/agent'
import { FINGERPRINT_RE, installCryptoProvider, nodeCryptoNativeHash } from '@palisade/protocol'
import type { CliContext } from '../context.js'
import { CliError } from '../errors.js'
import { formatFields, type JsonValue } from '../io/output.js'
import { parseDirectory, quote } from '../validate.js'

/** Registers `palisade agent` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const agent = program.command('agent').description('enroll this machine as a managed device and run its agent')
  const stateDirOption = (): Option =>
    new Option('--state-dir <dir>', 'agent state directory (default: /var/lib/palisade-agent as root, else ~/.palisade-agent)').argParser(parseStateDir)

  const fallbackOption = (): Option =>
    new Option('--fallback-server <url>', 'another node of the same server, tried when a connection ends (repeatable)').argParser(collectServerUrl)

  agent
    .command('enroll')
    .description('enroll this machine: make its device key, verify the org root against --fingerprint, register with --server')
    .requiredOption('--token <token>', 'the one-time enrollment token from the install command', parseToken)
    .requiredOption('--fingerprint <fp>', 'SHA-256 fingerprint of the org root (64 hex digits), from your admins', parseFingerprint)
    .addOption(stateDirOption())
    .addOption(fallbackOption())
    .addHelpText('after', '\nAlso required: --server <url>, the server to enroll with (a global option, accepted after `enroll` too).')
    .action(async (opts: { token: string; fingerprint: string; stateDir?: string; fallbackServer?: string[] }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      if (inv.server === undefined) {
        throw new CliError('CLI_USAGE', 'agent enroll needs --server <url>', { hint: 'run the install command exactly as `palisade token create` printed it' })
      }
      const stateDir = opts.stateDir ?? defaultStateDir()
      const e = await translate(() =>
        enroll({ server: inv.server!, fallbackServers: opts.fallbackServer ?? [], token: opts.token, fingerprint: opts.fingerprint, stateDir }),
      )
      inv.out.result(
        { deviceId: e.deviceId, org: e.org, server: e.server, servers: [...e.servers], keyId: e.keyId, publicKey: e.publicKey, fingerprint: e.fingerprint, rootVersion: e.rootVersion, stateDir: e.stateDir },
        () =>
          `Enrolled this machine as device ${quote(e.deviceId)} of org ${quote(e.org)}.\n` +
          formatFields([
            ['device id', e.deviceId],
            ['org', e.org],
            ['server', e.server],
            ...(e.servers.length > 1 ? ([['fallback servers', e.servers.slice(1).join(', ')]] as [string, string][]) : []),
            ['device key id', e.keyId],
            ['root version', String(e.rootVersion)],
            ['state dir', e.stateDir],
          ]) +
          `Start the agent: palisade agent run${opts.stateDir === undefined ? '' : ` --state-dir ${e.stateDir}`} (or: systemctl enable --now palisade-agent)`,
      )
    })

  agent
    .command('run')
    .description('run the agent until SIGINT or SIGTERM: verify and run quorum-signed commands, report results and inventory')
    .addOption(stateDirOption())
    .addOption(new Option('--policy <file>', `local policy file (default: ${LOCAL_POLICY_PATH}; missing = remote commands allowed)`).argParser(parseFile))
    .addOption(fallbackOption())
    .action(async (opts: { stateDir?: string; policy?: string; fallbackServer?: string[] }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const stateDir = opts.stateDir ?? defaultStateDir()
      // --server / --fallback-server on run: this run's list, the enrolled server first unless --server names another.
      const fallbacks = opts.fallbackServer ?? []
      const servers =
        inv.server === undefined && fallbacks.length === 0
          ? undefined
          : [inv.server ?? (await translate(() => agentStatus(stateDir))).server, ...fallbacks]
      const logger = lineLogger((line) => void ctx.deps.stderr.write(line), inv.json)
      // bin.ts runs this without the JIT, where OpenSSL's SHA-256 is the fast one.
      installCryptoProvider(nodeCryptoNativeHash)
      await translate(() => runAgentUntilSignal({ stateDir, policyPath: opts.policy, logger, servers }))
      inv.out.result({ stopped: true, stateDir: resolve(stateDir) }, () => 'palisade agent stopped')
    })

  agent
    .command('status')
    .description('show this device: id, org, server, root version, last checkpoint, executed and spooled counts')
    .addOption(stateDirOption())
    .action(async (opts: { stateDir?: string }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const s = await translate(() => agentStatus(opts.stateDir ?? defaultStateDir()))
      inv.out.result(statusJson(s), () =>
        formatFields([
          ['device id', s.deviceId],
          ['org', s.org],
          ['server', s.server],
          ['device key id', s.keyId],
          ['root fingerprint', s.fingerprint],
          ['root version', `${s.rootVersion}${s.rootFrozen ? ' (FROZEN: all commands refused)' : ''}, expires ${new Date(s.rootExpiresAt * 1000).toISOString()}`],
          ['checkpoint size', String(s.checkpointSize)],
          ['executed', `${s.executed} command(s) remembered`],
          ['spooled reports', `${s.spooledResults} result(s), ${s.spooledRejections} rejection(s) waiting for the server`],
          ['interrupted', `${s.interrupted} (reported at the next start)`],
          ['rejections logged', String(s.rejectionsLogged)],
          ['state dir', s.stateDir],
        ]),
      )
    })
}

function statusJson(s: AgentStatus): { readonly [k: string]: JsonValue } {
  return {
    deviceId: s.deviceId,
    org: s.org,
    server: s.server,
    publicKey: s.publicKey,
    keyId: s.keyId,
    fingerprint: s.fingerprint,
    rootVersion: s.rootVersion,
    rootExpiresAt: s.rootExpiresAt,
    rootFrozen: s.rootFrozen,
    checkpointSize: s.checkpointSize,
    executed: s.executed,
    spooledResults: s.spooledResults,
    spooledRejections: s.spooledRejections,
    interrupted: s.interrupted,
    rejectionsLogged: s.rejectionsLogged,
    stateDir: s.stateDir,
  }
}

// --- argument parsers (commander's (value) => parsed shape) --------------

/** A token: 1–4096 printable ASCII characters. Never echoed. */
export function parseToken(value: string): string {
  if (!/^[\x21-\x7e]{1,4096}$/.test(value)) {
    throw new CliError('CLI_ARG_INVALID', 'invalid --token: a token is 1 to 4096 printable ASCII characters without spaces', {
      hint: 'copy the install command again from `palisade token create`',
    })
  }
  return value
}

/** A root fingerprint: 64 hex digits (either case), normalised to lower case. */
export function parseFingerprint(value: string): string {
  const fp = value.trim().toLowerCase()
  if (!FINGERPRINT_RE.test(fp)) {
    throw new CliError('CLI_ARG_INVALID', `invalid --fingerprint ${quote(value)}: a root fingerprint is 64 hexadecimal digits`, {
      hint: 'use the fingerprint your admins published (`palisade org init` prints it)',
    })
  }
  return fp
}

/** Collects a repeatable server URL option (http or https, no credentials, query or fragment). */
function collectServerUrl(value: string, previous: string[] | undefined): string[] {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new CliError('CLI_ARG_INVALID', `invalid --fallback-server ${quote(value)}: an http(s) URL without credentials, query or fragment`)
  }
  return [...(previous ?? []), url.href.replace(/\/+$/, '')]
}

function parseStateDir(value: string): string {
  return resolve(parseDirectory(value))
}

function parseFile(value: string): string {
  if (value === '' || value.includes('\0')) throw new CliError('CLI_ARG_INVALID', `invalid file path ${quote(value)}`)
  return resolve(value)
}

// --- errors ----------------------------------------------------------------

/**
 * Runs agent code and turns its AgentErrors into CliErrors at this
 * boundary: each maps to the CLI code that says the same thing to a
 * user, and the agent's own code travels in `details.agentCode` (printed
 * with --json).
 */
async function translate<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (e) {
    if (!isAgentError(e)) throw e
    throw toCliError(e as AnyAgentError)
  }
}

function toCliError(e: AnyAgentError): CliError {
  const server = typeof e.details?.['server'] === 'string' ? e.details['server'] : undefined
  const base = { cause: e, details: { agentCode: e.code }, ...(server === undefined ? {} : { server }) }
  switch (e.code) {
    case 'AGENT_ARG_INVALID':
      return new CliError('CLI_ARG_INVALID', e.message, base)
    case 'AGENT_SERVER_UNREACHABLE':
      return new CliError('CLI_SERVER_UNREACHABLE', e.message, base)
    case 'AGENT_ENROLL_REFUSED':
      return new CliError('CLI_SERVER_REFUSED', e.message, {
        ...base,
        hint: 'the token may be wrong, expired or used up: ask an admin for a new install command (`palisade token create`)',
      })
    case 'AGENT_ROOT_UNTRUSTED':
      return new CliError('CLI_SERVER_UNTRUSTED', e.message, {
        ...base,
        hint: 'check --fingerprint against the one your admins published; if it is right, this server is not serving your org root: do not enroll',
      })
    case 'AGENT_SERVER_RESPONSE_INVALID':
      return new CliError('CLI_SERVER_RESPONSE', e.message, { ...base, hint: 'is --server the Palisade server? check the URL' })
    case 'AGENT_ALREADY_ENROLLED':
      return new CliError('CLI_IO', e.message, { ...base, hint: 'this machine is enrolled; see `palisade agent status`, or use another --state-dir' })
    case 'AGENT_NOT_ENROLLED':
      return new CliError('CLI_IO', e.message, { ...base, hint: 'enroll first with the install command (`palisade agent enroll …`), or pass the right --state-dir' })
    case 'AGENT_STATE_INVALID':
      return new CliError('CLI_IO', e.message, { ...base, hint: 'the agent state was changed or damaged; restore it, or move it away and enroll again' })
    default:
      return new CliError('CLI_IO', e.message, base)
  }
}
