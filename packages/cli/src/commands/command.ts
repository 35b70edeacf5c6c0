/**
 * `palisade command …`: draft, approve and follow remote commands.
 *
 *     palisade command create (--script <text> | --script-file <path>) [--interpreter sh] [--timeout 60]
 *         [--run-as root] (--targets all | --targets <id,id,…> | --targets-file <path>)
 *         [--valid-for 1h] [--not-before <time>]
 *     palisade command sign <id> --key <name> [--yes] [--passphrase-file <path>]
 *     palisade command status <id> [--wait] [--timeout 5m]
 *     palisade command list
 *
 * Admins sign the exact payload bytes with their own keys; the server only
 * collects signatures. So `sign` never trusts the server's description of
 * a command: it re-parses the payload bytes the server holds with
 * @palisade/protocol, refuses bytes that are not a canonical command of
 * this org with this id, shows every field that decides what runs where,
 * and signs PAE(type, bytes) only after the admin confirms.
 */
import type { Command } from 'commander'
import { COMMAND_PAYLOAD_TYPE, ID_RE, commandPayloadJson, dsse, equalBytes, keyId, nodeSign, toBase64 } from '@palisade/protocol'
import { durationOption, parseTime } from '../args/duration.js'
import { parseTargetsFile, parseTargetsOption, selectTargets, type TargetSpec } from '../args/targets.js'
import type { CliContext, Invocation } from '../context.js'
import { CliError } from '../errors.js'
import { addCommandSignature, createCommand, getCommand, listCommands, type CommandDetail } from '../http/commands-api.js'
import { openOrgSession, type OrgSession } from '../http/session.js'
import { readFileBounded } from '../io/atomic-file.js'
import { formatFields, formatTable, printable, type JsonValue } from '../io/output.js'
import { passphraseFileOption } from '../io/passphrase.js'
import { SCRIPT_MAX_BYTES, buildCommand, parseServerPayload } from '../payload/command-draft.js'
import { describeCommand, describeTargets, payloadDigest } from '../payload/describe-command.js'
import { confirmSigning, keyInfo, unlockForSigning } from '../payload/signing.js'
import { progressLine, progressOf } from '../report/command-progress.js'
import { commandResultsJson, formatCommandResults } from '../report/command-results.js'
import { parseName, quote } from '../validate.js'

const TARGETS_FILE_MAX_BYTES = 128 * 1024 * 1024

interface CreateOptions {
  script?: string
  scriptFile?: string
  interpreter: string
  timeout: number
  runAs: string
  targets?: TargetSpec
  targetsFile?: string
  validFor: number
  notBefore?: string
}

/** Registers `palisade command` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const command = program.command('command').description('remote commands: draft, sign, follow')

  command
    .command('create')
    .description('draft a command; it runs once enough admins have signed it')
    .option('--script <text>', 'the script to run')
    .option('--script-file <path>', 'read the script from a file')
    .option('--interpreter <name>', 'interpreter name from the agent\'s table: sh, bash, python3, …', 'sh')
    .option('--timeout <duration>', 'how long the script may run on each device (1s to 24h)', durationOption('--timeout', 1, 86400), 60)
    .option('--run-as <user>', 'the local user the script runs as', 'root')
    .option('--targets <all|ids>', '`all`, or device ids separated by commas', parseTargetsOption)
    .option('--targets-file <path>', 'device ids, one per line (more than 1000 are sent as a Merkle commitment)')
    .option('--valid-for <duration>', 'how long devices may start it, from --not-before', durationOption('--valid-for', 60, 366 * 86400), 3600)
    .option('--not-before <time>', 'earliest start: now, +DURATION, Unix seconds, or ISO 8601 with a zone (default: now)')
    .action(async (opts: CreateOptions, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const script = await scriptOf(opts)
      const targets = await targetsOf(opts)
      const session = await openOrgSession(inv)
      const now = Math.floor(Date.now() / 1000)
      const built = buildCommand(
        {
          org: session.org,
          script,
          interpreter: opts.interpreter,
          timeoutSeconds: opts.timeout,
          runAs: opts.runAs,
          targets: targets.targets,
          notBefore: opts.notBefore === undefined ? now : parseTime(opts.notBefore, now),
          validForSeconds: opts.validFor,
        },
        ctx.random,
      )
      const answer = await createCommand(session, commandPayloadJson(built.payload) as JsonValue, targets.targetIds)
      if (answer.id !== built.payload.id || !equalBytes(answer.payload, built.bytes)) {
        throw untrusted(session, `it stored command ${quote(answer.id)} with other payload bytes than the ones sent; do not sign it`)
      }
      const digest = payloadDigest(built.bytes)
      inv.out.result(
        { id: answer.id, status: answer.status, threshold: answer.threshold, payloadSha256: digest, targets: describeTargets(built.payload), notBefore: built.payload.notBefore, notAfter: built.payload.notAfter },
        () =>
          `Created command ${answer.id}: awaiting ${answer.threshold} signature${answer.threshold === 1 ? '' : 's'}.\n` +
          formatFields([
            ['targets', describeTargets(built.payload)],
            ['payload sha256', digest],
          ]) +
          `Each approving admin runs: palisade command sign ${answer.id} --key <name>`,
      )
    })

  command
    .command('sign')
    .description('review a command and sign its payload with a local key')
    .argument('<id>', 'the command id', parseCommandId)
    .requiredOption('--key <name>', 'the local key to sign with', parseName)
    .option('--yes', 'do not ask for confirmation (review the command first)')
    .addOption(passphraseFileOption())
    .action(async (id: string, opts: { key: string; yes?: boolean; passphraseFile?: string }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const info = await keyInfo(inv, opts.key)
      const session = await openOrgSession(inv)
      const detail = await getCommand(session, id)
      const payload = parseServerPayload(detail.payload, session.org, id, session.server)
      const now = Math.floor(Date.now() / 1000)
      const description = describeCommand(payload, detail.payload, now)
      if (now > payload.notAfter) inv.out.note(`warning: command ${id} has expired; no device will run it`)
      await confirmSigning(ctx, description, `Sign command ${id} with key ${quote(opts.key)}?`, opts.yes === true)
      const key = await unlockForSigning(inv, opts.key, opts.passphraseFile)
      let sig: Uint8Array
      try {
        sig = nodeSign(key.seed, dsse.pae(COMMAND_PAYLOAD_TYPE, detail.payload))
      } finally {
        key.seed.fill(0)
      }
      const answer = await addCommandSignature(session, id, keyId(info.publicKey), toBase64(sig))
      inv.out.result(
        { id, keyid: keyId(info.publicKey), signatures: answer.signatures, threshold: answer.threshold, status: answer.status, payloadSha256: payloadDigest(detail.payload), payload: commandPayloadJson(payload) as JsonValue },
        () => `${opts.yes === true ? description + '\n' : ''}Signed command ${id} with key ${quote(opts.key)}: ${answer.signatures} of ${answer.threshold} signatures, status ${answer.status}.`,
      )
    })

  command
    .command('status')
    .description('show a command\'s status and each device\'s result (exit 0 only if every target succeeded)')
    .argument('<id>', 'the command id', parseCommandId)
    .option('--wait', 'wait until every target answered (or --timeout)')
    .option('--timeout <duration>', 'how long --wait waits', durationOption('--timeout', 1, 7 * 86400), 300)
    .option('--poll <duration>', 'seconds between checks while waiting', durationOption('--poll', 1, 3600), 1)
    .action(async (id: string, opts: { wait?: boolean; timeout: number; poll: number }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const session = await openOrgSession(inv)
      const detail = opts.wait === true ? await waitFor(ctx, inv, session, id, opts.timeout, opts.poll) : await getCommand(session, id)
      inv.out.result(commandResultsJson(detail), () => formatCommandResults(detail))
      const p = progressOf(detail)
      if (!p.finished && detail.status === 'awaiting-signatures') {
        throw new CliError('CLI_COMMAND_INCOMPLETE', `${id} is awaiting signatures (${detail.signatures.length} of ${detail.threshold}): nothing runs until the threshold is met`, {
          hint: `another admin signs it with \`palisade command sign ${id} --key <name>\``,
        })
      }
      if (!p.finished) {
        throw new CliError('CLI_COMMAND_INCOMPLETE', `${p.total - p.answered} of ${p.total} target device(s) of ${id} have not answered${opts.wait === true ? ` within ${opts.timeout}s` : ''} (status ${detail.status})`, {
          hint: `run \`palisade command status ${id} --wait\`${opts.wait === true ? ' with a longer --timeout' : ''}`,
        })
      }
      if (!p.ok) throw new CliError('CLI_COMMAND_FAILED', `${p.total - p.succeeded} of ${p.total} target device(s) did not run ${id} successfully`)
    })

  command
    .command('list')
    .description('list the org\'s commands')
    .action(async (_opts: unknown, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const session = await openOrgSession(inv)
      const list = await listCommands(session)
      inv.out.result({ commands: list.map((c) => ({ ...c })) }, () =>
        list.length === 0
          ? 'No commands yet. Draft one with `palisade command create`.'
          : formatTable(
              ['ID', 'STATUS', 'SIGNED', 'TARGETS', 'DONE', 'CREATED'],
              list.map((c) => [c.id, c.status, `${c.signatures}/${c.threshold}`, targetsText(c.targets), c.done === null ? '-' : String(c.done), c.createdAt === null ? '-' : new Date(c.createdAt).toISOString()]),
            ),
      )
    })
}

/** Polls until the command finished or `timeout` seconds passed; shows progress on stderr (human mode). */
async function waitFor(ctx: CliContext, inv: Invocation, session: OrgSession, id: string, timeout: number, poll: number): Promise<CommandDetail> {
  const tty = (ctx.deps.stderr as { isTTY?: boolean }).isTTY === true && !inv.json
  const deadline = Date.now() + timeout * 1000
  let last = ''
  let lastAt = 0
  for (;;) {
    const detail = await getCommand(session, id)
    const p = progressOf(detail)
    const line = progressLine(p)
    if (tty) {
      // \r and erase-line redraw one line; the text itself is escaped
      ctx.deps.stderr.write(`\r\x1b[2K${printable(line)}`)
    } else if (line !== last || Date.now() - lastAt >= 10_000) {
      inv.out.note(line)
      lastAt = Date.now()
    }
    last = line
    if (p.finished || Date.now() + poll * 1000 > deadline) {
      if (tty) ctx.deps.stderr.write('\n')
      return detail
    }
    await new Promise((r) => setTimeout(r, poll * 1000))
  }
}

async function scriptOf(opts: CreateOptions): Promise<string> {
  if ((opts.script === undefined) === (opts.scriptFile === undefined)) {
    throw new CliError('CLI_ARG_INVALID', 'give the script with exactly one of --script <text> or --script-file <path>')
  }
  if (opts.script !== undefined) return opts.script
  return readText(opts.scriptFile!, SCRIPT_MAX_BYTES, 'script file')
}

async function targetsOf(opts: CreateOptions): Promise<ReturnType<typeof selectTargets>> {
  if ((opts.targets === undefined) === (opts.targetsFile === undefined)) {
    throw new CliError('CLI_ARG_INVALID', 'name the targets with exactly one of --targets all, --targets <id,id,…> or --targets-file <path>')
  }
  if (opts.targets !== undefined) return selectTargets(opts.targets)
  const ids = parseTargetsFile(await readText(opts.targetsFile!, TARGETS_FILE_MAX_BYTES, 'targets file'), opts.targetsFile!)
  return selectTargets({ kind: 'ids', ids })
}

async function readText(path: string, max: number, what: string): Promise<string> {
  const invalid = (why: string): CliError => new CliError('CLI_ARG_INVALID', `cannot use ${what} ${path}: ${why}`, { details: { path } })
  const raw = await readFileBounded(path, max, { onInvalid: invalid, allowSpecial: true })
  if (raw === undefined) throw invalid('no such file')
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw)
  } catch {
    throw invalid('it is not UTF-8 text')
  }
}

function targetsText(t: JsonValue): string {
  if (typeof t === 'string') return t
  if (typeof t === 'number') return `${t} devices`
  if (t !== null && typeof t === 'object' && !Array.isArray(t)) {
    const o = t as { readonly [k: string]: JsonValue }
    if (o['kind'] === 'all') return 'all'
    if (Array.isArray(o['ids'])) return `${o['ids'].length} devices`
    if (typeof o['count'] === 'number') return `${o['count']} devices`
  }
  return '-'
}

function parseCommandId(value: string): string {
  if (!ID_RE.test(value)) throw new CliError('CLI_ARG_INVALID', `invalid command id ${quote(value)}`, { hint: 'the ids are listed by `palisade command list`' })
  return value
}

function untrusted(session: OrgSession, why: string): CliError<'CLI_SERVER_UNTRUSTED'> {
  return new CliError('CLI_SERVER_UNTRUSTED', `the server at ${session.server} misbehaved: ${why}`, { server: session.server })
}
