/**
 * The org root of trust: a versioned, expiring JSON document naming the
 * admins' keys, the signature threshold per kind of action, the witnesses
 * and how many must cosign, and the log (key and origin). Devices pin the
 * SHA-256 fingerprint of version 1 and follow the rotation chain from it.
 *
 * This module only PARSES: every field is attacker-controlled until
 * verify.ts has checked the signatures. Parsing is strict: unknown fields,
 * wrong types and out-of-range values are refused, so two readers can never
 * see two different roots in the same bytes.
 */
import { fromBase64, isWellFormedString } from '../bytes.js'
import type { CryptoProvider } from '../crypto/provider.js'
import { fail } from '../errors.js'
import { parseJson } from '../json/parse.js'
import { keyId } from '../keys/key-id.js'
import { expectInteger, expectObject, expectString, expectArray } from '../json/expect.js'
import { parseMonitorUrl } from './monitor-url.js'

export const ROOT_PAYLOAD_TYPE = 'application/vnd.palisade.root+json'
export const ROOT_TYPE = 'palisade.root/v1'
export const ROOT_MAX_BYTES = 64 * 1024
export const ROOT_MAX_ADMINS = 64
export const ROOT_MAX_WITNESSES = 32
export const ROOT_MAX_MONITORS = 8
/** Bounds of `checkpointMaxAgeSeconds`: five minutes to thirty days. */
export const CHECKPOINT_MAX_AGE_MIN_SECONDS = 300
export const CHECKPOINT_MAX_AGE_MAX_SECONDS = 30 * 86400

/** The kinds of signed action; each has its own threshold. */
export const ACTION_KINDS = ['command', 'policy', 'root', 'device'] as const
export type ActionKind = (typeof ACTION_KINDS)[number]

export interface AdminKey {
  /** keyId(publicKey); checked, not trusted */
  readonly id: string
  readonly name: string
  readonly publicKey: Uint8Array
}

export interface Root {
  readonly type: typeof ROOT_TYPE
  readonly org: string
  readonly version: number
  /** Unix seconds. */
  readonly issuedAt: number
  /** Unix seconds; the root is unusable from this instant on. */
  readonly expiresAt: number
  readonly admins: readonly AdminKey[]
  readonly thresholds: Readonly<Record<ActionKind, number>>
  /** C2SP verifier keys (cosignature/v1, type 0x04) and how many must cosign. */
  readonly witnesses: { readonly quorum: number; readonly keys: readonly string[] }
  /** The log's origin line and its C2SP verifier key (Ed25519, type 0x01). */
  readonly log: { readonly origin: string; readonly key: string }
  /** The longest validity window a command may carry, in seconds. */
  readonly maxCommandValiditySeconds: number
  /** When true, devices refuse every command (incident freeze). */
  readonly frozen: boolean
  /**
   * Base URLs where agents also send every rejection and alert they sign
   * (monitor-url.ts); optional in the payload, [] when absent.
   */
  readonly monitors: readonly string[]
  /**
   * How old (by witness cosignature time) the freshest checkpoint a device
   * has seen may grow before it raises AGENT_CHECKPOINT_STALE; optional in
   * the payload, null when absent (no staleness alert).
   */
  readonly checkpointMaxAgeSeconds: number | null
}

const ORG_RE = /^[a-z0-9][a-z0-9-]{0,62}$/
const NAME_RE = /^[A-Za-z0-9._@-]{1,64}$/
const MAX_TIME = 253402300799 // 9999-12-31T23:59:59Z

/**
 * Parses root payload bytes (the DSSE payload) into a frozen Root.
 *
 * @example
 * const root = parseRoot(envelope.payload)
 */
export function parseRoot(payload: Uint8Array | string, crypto?: CryptoProvider): Root {
  const o = expectObject(parseJson(payload, ROOT_MAX_BYTES, 'root'), 'root', [
    'type', 'org', 'version', 'issuedAt', 'expiresAt', 'admins', 'thresholds', 'witnesses', 'log',
    'maxCommandValiditySeconds', 'frozen', 'monitors', 'checkpointMaxAgeSeconds',
  ])
  if (o.type !== ROOT_TYPE) fail('PROTO_MALFORMED', `root.type must be "${ROOT_TYPE}"`)
  const org = expectString(o.org, 'root.org', ORG_RE)
  const version = expectInteger(o.version, 'root.version', 1, Number.MAX_SAFE_INTEGER)
  const issuedAt = expectInteger(o.issuedAt, 'root.issuedAt', 0, MAX_TIME)
  const expiresAt = expectInteger(o.expiresAt, 'root.expiresAt', issuedAt + 1, MAX_TIME)

  const adminList = expectArray(o.admins, 'root.admins', 1, ROOT_MAX_ADMINS)
  const seenIds = new Set<string>()
  const seenNames = new Set<string>()
  const admins = adminList.map((a, i) => {
    const where = `root.admins[${i}]`
    const ao = expectObject(a, where, ['id', 'name', 'publicKey'])
    const publicKey = fromBase64(expectString(ao.publicKey, `${where}.publicKey`), `${where}.publicKey`)
    if (publicKey.length !== 32) fail('PROTO_KEY_INVALID', `${where}.publicKey must be 32 bytes`)
    const id = expectString(ao.id, `${where}.id`)
    if (id !== keyId(publicKey, crypto)) fail('PROTO_MALFORMED', `${where}.id is not the key id of its public key`)
    const name = expectString(ao.name, `${where}.name`, NAME_RE)
    // a key listed twice would be counted twice by a careless reader
    if (seenIds.has(id)) fail('PROTO_MALFORMED', `${where} repeats a key`)
    if (seenNames.has(name)) fail('PROTO_MALFORMED', `${where} repeats a name`)
    seenIds.add(id)
    seenNames.add(name)
    return Object.freeze({ id, name, publicKey })
  })

  const t = expectObject(o.thresholds, 'root.thresholds', ACTION_KINDS)
  const thresholds = {} as Record<ActionKind, number>
  for (const kind of ACTION_KINDS) {
    if (!(kind in t)) fail('PROTO_MALFORMED', `root.thresholds.${kind} is missing`)
    thresholds[kind] = expectInteger(t[kind], `root.thresholds.${kind}`, 1, admins.length)
  }

  const w = expectObject(o.witnesses, 'root.witnesses', ['quorum', 'keys'])
  const wkeys = expectArray(w.keys, 'root.witnesses.keys', 0, ROOT_MAX_WITNESSES).map((k, i) =>
    expectString(k, `root.witnesses.keys[${i}]`),
  )
  if (new Set(wkeys).size !== wkeys.length) fail('PROTO_MALFORMED', 'root.witnesses.keys repeats a key')
  const quorum = expectInteger(w.quorum, 'root.witnesses.quorum', 0, wkeys.length)

  const l = expectObject(o.log, 'root.log', ['origin', 'key'])
  const origin = expectString(l.origin, 'root.log.origin')
  if (origin.length === 0 || origin.length > 256 || /[\n\r]/.test(origin) || !isWellFormedString(origin)) {
    fail('PROTO_MALFORMED', 'root.log.origin must be one non-empty line')
  }
  const logKey = expectString(l.key, 'root.log.key')

  const maxCommandValiditySeconds = expectInteger(o.maxCommandValiditySeconds, 'root.maxCommandValiditySeconds', 1, 366 * 86400)
  if (typeof o.frozen !== 'boolean') fail('PROTO_MALFORMED', 'root.frozen must be a boolean')

  // Both optional, so that roots signed before they existed still parse.
  const monitors =
    o.monitors === undefined
      ? []
      : expectArray(o.monitors, 'root.monitors', 0, ROOT_MAX_MONITORS).map((u, i) => parseMonitorUrl(u, `root.monitors[${i}]`))
  if (new Set(monitors).size !== monitors.length) fail('PROTO_MALFORMED', 'root.monitors repeats a URL')
  const checkpointMaxAgeSeconds =
    o.checkpointMaxAgeSeconds === undefined
      ? null
      : expectInteger(o.checkpointMaxAgeSeconds, 'root.checkpointMaxAgeSeconds', CHECKPOINT_MAX_AGE_MIN_SECONDS, CHECKPOINT_MAX_AGE_MAX_SECONDS)

  return Object.freeze({
    type: ROOT_TYPE,
    org,
    version,
    issuedAt,
    expiresAt,
    admins: Object.freeze(admins),
    thresholds: Object.freeze(thresholds),
    witnesses: Object.freeze({ quorum, keys: Object.freeze(wkeys) }),
    log: Object.freeze({ origin, key: logKey }),
    maxCommandValiditySeconds,
    frozen: o.frozen,
    monitors: Object.freeze(monitors),
    checkpointMaxAgeSeconds,
  })
}
