/**
 * Building the command payload an admin drafts (`palisade command create`):
 * the exact document the org's admins will sign (protocol
 * command/payload.ts). Pure: time and randomness are parameters.
 *
 * The result is produced by protocol's own parser from canonical bytes, so
 * nothing is sent to the server that agents would refuse to parse, and the
 * bytes to sign are known here, before the server answers: the command
 * checks that the server stored exactly these bytes.
 */
import {
  COMMAND_TYPE,
  INTERPRETER_RE,
  USER_RE,
  canonicalJsonBytes,
  commandPayloadJson,
  formatCommandPayload,
  isProtocolError,
  parseCommandPayload,
  toBase64,
  toHex,
  utf8,
  type CommandPayload,
  type Targets,
} from '@palisade/protocol'
import { CliError } from '../errors.js'
import type { RandomSource } from '../keystore/keystore.js'
import { quote } from '../validate.js'

/** The most UTF-8 bytes a script may have (protocol SCRIPT_MAX_BYTES). */
export const SCRIPT_MAX_BYTES = 256 * 1024
export const NONCE_BYTES = 16

/** What the admin chose; everything else is derived. */
export interface CommandDraft {
  readonly org: string
  readonly script: string
  readonly interpreter: string
  readonly timeoutSeconds: number
  readonly runAs: string
  readonly targets: Targets
  /** Unix seconds. */
  readonly notBefore: number
  readonly validForSeconds: number
}

/** A built payload: the parsed value and the canonical bytes to sign. */
export interface BuiltCommand {
  readonly payload: CommandPayload
  readonly bytes: Uint8Array
}

/**
 * A fresh command id: `cmd-` and 20 random hex digits.
 *
 * @example
 * newCommandId(randomBytes) // 'cmd-3f1c0a9b5d2e7781a0c4'
 */
export function newCommandId(random: RandomSource): string {
  return `cmd-${toHex(random(10))}`
}

/**
 * Builds the payload: a new id and a 16-byte random nonce (so two identical
 * drafts are two commands), notAfter = notBefore + validFor. Throws
 * CLI_ARG_INVALID naming the bad value.
 *
 * @example
 * const { payload, bytes } = buildCommand({ org: 'acme', script: 'uptime', interpreter: 'sh', timeoutSeconds: 60,
 *   runAs: 'root', targets: { kind: 'all' }, notBefore: now, validForSeconds: 3600 }, randomBytes)
 */
export function buildCommand(draft: CommandDraft, random: RandomSource): BuiltCommand {
  if (utf8(draft.script).length > SCRIPT_MAX_BYTES) {
    throw new CliError('CLI_ARG_INVALID', `the script is larger than ${SCRIPT_MAX_BYTES / 1024} KiB`)
  }
  if (draft.script.trim() === '') throw new CliError('CLI_ARG_INVALID', 'the script is empty')
  if (!INTERPRETER_RE.test(draft.interpreter)) {
    throw new CliError('CLI_ARG_INVALID', `invalid --interpreter ${quote(draft.interpreter)}: give a name such as sh, bash or python3, not a path`)
  }
  if (!USER_RE.test(draft.runAs)) throw new CliError('CLI_ARG_INVALID', `invalid --run-as ${quote(draft.runAs)}: give a local user name`)
  const nonce = random(NONCE_BYTES)
  if (nonce.length !== NONCE_BYTES) throw new RangeError('random source returned the wrong number of bytes')
  const value: CommandPayload = {
    type: COMMAND_TYPE,
    org: draft.org,
    id: newCommandId(random),
    script: draft.script,
    interpreter: draft.interpreter,
    timeoutSeconds: draft.timeoutSeconds,
    runAs: draft.runAs,
    targets: draft.targets,
    notBefore: draft.notBefore,
    notAfter: draft.notBefore + draft.validForSeconds,
    nonce: toBase64(nonce),
  }
  try {
    const bytes = formatCommandPayload(value)
    return { payload: parseCommandPayload(bytes), bytes }
  } catch (e) {
    if (isProtocolError(e)) throw new CliError('CLI_ARG_INVALID', `the command cannot be signed as drafted: ${e.message}`, { cause: e })
    throw e
  }
}

/**
 * The payload bytes a server holds, parsed for signing: they must parse as
 * a command, be in their one canonical encoding (so what is shown is
 * exactly what is signed), and belong to `org` and, when given, carry `id`.
 * Throws CLI_SERVER_UNTRUSTED otherwise.
 *
 * @example
 * const payload = parseServerPayload(detail.payload, 'acme', 'cmd-1', server)
 */
export function parseServerPayload(bytes: Uint8Array, org: string, id: string | undefined, server: string): CommandPayload {
  const refuse = (why: string, cause?: unknown): never => {
    throw new CliError('CLI_SERVER_UNTRUSTED', `refusing the command payload from ${server}: ${why}`, { server, cause })
  }
  let payload: CommandPayload
  try {
    payload = parseCommandPayload(bytes)
  } catch (e) {
    return refuse(`it is not a valid command (${isProtocolError(e) ? e.message : 'unreadable'})`, e)
  }
  let canonical: Uint8Array
  try {
    canonical = canonicalJsonBytes(commandPayloadJson(payload))
  } catch (e) {
    return refuse('it cannot be re-encoded', e)
  }
  if (canonical.length !== bytes.length || !canonical.every((b, i) => b === bytes[i])) refuse('it is not in canonical form (RFC 8785)')
  if (payload.org !== org) refuse(`it is for org ${quote(payload.org)}, not ${quote(org)}`)
  if (id !== undefined && payload.id !== id) refuse(`it carries id ${quote(payload.id)}, not ${quote(id)}`)
  return payload
}
