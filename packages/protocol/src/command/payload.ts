/**
 * The command payload: the exact JSON that admins sign (RFC 8785 bytes
 * inside a DSSE envelope). Every field that decides what runs, where and
 * when is inside the signature; nothing outside it changes what a device
 * does. Parsed strictly: every field is attacker-controlled until the
 * envelope's signatures are checked, and unknown fields are refused so a
 * newer reader can never find a meaning an older signer did not see.
 */
import { fromBase64, toBase64 as toB64 } from '../bytes.js'
import { fail } from '../errors.js'
import { canonicalJsonBytes } from '../json/canonical.js'
import { expectArray, expectInteger, expectObject, expectString } from '../json/expect.js'
import { parseJson } from '../json/parse.js'

export const COMMAND_PAYLOAD_TYPE = 'application/vnd.palisade.command+json'
export const COMMAND_TYPE = 'palisade.command/v1'
export const COMMAND_MAX_BYTES = 512 * 1024
export const SCRIPT_MAX_BYTES = 256 * 1024
/** Above this many explicit targets, use a Merkle commitment. */
export const MAX_EXPLICIT_TARGETS = 1000

export const ORG_ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/
export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/
export const INTERPRETER_RE = /^[a-z][a-z0-9.+-]{0,31}$/
export const USER_RE = /^[a-z_][a-z0-9_.-]{0,31}\$?$/

export type Targets =
  | { readonly kind: 'all' }
  | { readonly kind: 'devices'; readonly ids: readonly string[] }
  | { readonly kind: 'merkle'; readonly root: Uint8Array; readonly count: number }

export interface CommandPayload {
  readonly type: typeof COMMAND_TYPE
  readonly org: string
  readonly id: string
  readonly script: string
  /** A name from the agent's interpreter table (sh, bash, python3, …), never a path. */
  readonly interpreter: string
  readonly timeoutSeconds: number
  readonly runAs: string
  readonly targets: Targets
  /** Unix seconds, inclusive. */
  readonly notBefore: number
  /** Unix seconds, inclusive. */
  readonly notAfter: number
  /** Random bytes (base64) so that two identical drafts are two commands. */
  readonly nonce: string
}

/** Parses the signed payload bytes of a command. */
export function parseCommandPayload(payload: Uint8Array | string): CommandPayload {
  const o = expectObject(parseJson(payload, COMMAND_MAX_BYTES, 'command'), 'command', [
    'type', 'org', 'id', 'script', 'interpreter', 'timeoutSeconds', 'runAs', 'targets', 'notBefore', 'notAfter', 'nonce',
  ])
  if (o.type !== COMMAND_TYPE) fail('PROTO_MALFORMED', `command.type must be "${COMMAND_TYPE}"`)
  const notBefore = expectInteger(o.notBefore, 'command.notBefore', 0, 253402300799)
  const nonce = expectString(o.nonce, 'command.nonce', /^[A-Za-z0-9+/]{20,88}={0,2}$/)
  const nonceBytes = fromBase64(nonce, 'command.nonce').length
  if (nonceBytes < 16 || nonceBytes > 64) fail('PROTO_MALFORMED', 'command.nonce must be 16 to 64 bytes')
  return Object.freeze({
    type: COMMAND_TYPE,
    org: expectString(o.org, 'command.org', ORG_ID_RE),
    id: expectString(o.id, 'command.id', ID_RE),
    script: expectString(o.script, 'command.script', undefined, SCRIPT_MAX_BYTES),
    interpreter: expectString(o.interpreter, 'command.interpreter', INTERPRETER_RE),
    timeoutSeconds: expectInteger(o.timeoutSeconds, 'command.timeoutSeconds', 1, 86400),
    runAs: expectString(o.runAs, 'command.runAs', USER_RE),
    targets: parseTargets(o.targets),
    notBefore,
    notAfter: expectInteger(o.notAfter, 'command.notAfter', notBefore, 253402300799),
    nonce,
  })
}

function parseTargets(v: unknown): Targets {
  const kind = (v as { kind?: unknown } | null)?.kind
  if (kind === 'all') {
    expectObject(v, 'command.targets', ['kind'])
    return Object.freeze({ kind: 'all' })
  }
  if (kind === 'devices') {
    const o = expectObject(v, 'command.targets', ['kind', 'ids'])
    const ids = expectArray(o.ids, 'command.targets.ids', 1, MAX_EXPLICIT_TARGETS).map((x, i) =>
      expectString(x, `command.targets.ids[${i}]`, ID_RE),
    )
    // sorted and unique: one device set has exactly one signed spelling
    for (let i = 1; i < ids.length; i++) {
      if (!(ids[i - 1]! < ids[i]!)) fail('PROTO_NOT_CANONICAL', 'command.targets.ids must be sorted and unique')
    }
    return Object.freeze({ kind: 'devices', ids: Object.freeze(ids) })
  }
  if (kind === 'merkle') {
    const o = expectObject(v, 'command.targets', ['kind', 'root', 'count'])
    const root = fromBase64(expectString(o.root, 'command.targets.root'), 'command.targets.root')
    if (root.length !== 32) fail('PROTO_MALFORMED', 'command.targets.root must be 32 bytes')
    return Object.freeze({ kind: 'merkle', root, count: expectInteger(o.count, 'command.targets.count', 1, 2 ** 32) })
  }
  return fail('PROTO_MALFORMED', 'command.targets.kind must be "all", "devices" or "merkle"')
}

/** The JSON form of a payload (targets.root as base64). */
export function commandPayloadJson(p: CommandPayload): Record<string, unknown> {
  const targets =
    p.targets.kind === 'merkle'
      ? { kind: 'merkle', root: toB64(p.targets.root), count: p.targets.count }
      : p.targets.kind === 'devices'
        ? { kind: 'devices', ids: [...p.targets.ids] }
        : { kind: 'all' }
  return { ...p, targets }
}

/**
 * The canonical bytes to sign for a payload. Round-trips through the parser
 * so that nothing unsignable is ever signed.
 *
 * @example
 * const bytes = formatCommandPayload(draft) // RFC 8785 JSON, UTF-8
 */
export function formatCommandPayload(p: CommandPayload): Uint8Array {
  const bytes = canonicalJsonBytes(commandPayloadJson(p))
  parseCommandPayload(bytes)
  return bytes
}
