/**
 * Building a root version from what an admin chose (the CLI's `palisade
 * org init` / `root rotate`, the console's first-run setup): the payload an
 * admin is asked to sign. Pure: the time comes in.
 *
 * The payload is canonical JSON (RFC 8785) parsed back by {@link parseRoot},
 * so no tool ever asks anyone to sign a root that devices would refuse; on
 * top of the parser's rules it refuses, with a sentence each, the ways the
 * choices can contradict each other (a threshold above the admin count, a
 * key or name listed twice, a witness quorum above the witness count).
 * Admins are sorted by name, so the same admins in any order give the same
 * bytes and fingerprint.
 */
import { toBase64 } from '../bytes.js'
import type { CryptoProvider } from '../crypto/provider.js'
import { fail } from '../errors.js'
import { canonicalJsonBytes } from '../json/canonical.js'
import { keyId } from '../keys/key-id.js'
import { rootFingerprint } from './fingerprint.js'
import { ACTION_KINDS, ROOT_TYPE, parseRoot, type ActionKind, type Root } from './root.js'

/** One admin of the root: a display name and an Ed25519 public key. */
export interface RootAdminSpec {
  readonly name: string
  readonly publicKey: Uint8Array
}

/** Everything a root version says. */
export interface RootSpec {
  readonly org: string
  readonly version: number
  readonly admins: readonly RootAdminSpec[]
  readonly thresholds: Readonly<Record<ActionKind, number>>
  /** cosignature/v1 verifier keys and how many must cosign. */
  readonly witnesses: { readonly quorum: number; readonly keys: readonly string[] }
  readonly log: { readonly origin: string; readonly key: string }
  /** Unix seconds. */
  readonly issuedAt: number
  readonly validForSeconds: number
  readonly maxCommandValiditySeconds: number
  /** True only for an incident freeze. */
  readonly frozen: boolean
  /** Where agents also send rejections and alerts (left out of the payload when empty). */
  readonly monitors?: readonly string[]
  /** Staleness bound for devices (left out of the payload when null or absent). */
  readonly checkpointMaxAgeSeconds?: number | null
}

/** A root, its payload bytes (what admins sign) and its fingerprint. */
export interface BuiltRoot {
  readonly root: Root
  readonly payload: Uint8Array
  readonly fingerprint: string
}

/**
 * Builds a root version. Throws PROTO_MALFORMED with a sentence naming the
 * contradiction, or any error of {@link parseRoot} for a value out of range.
 *
 * @example
 * const { payload, fingerprint } = buildRoot({ org: 'acme', version: 1, admins: [{ name: 'alice', publicKey }],
 *   thresholds: { command: 1, policy: 1, root: 1, device: 1 }, witnesses: { quorum: 1, keys: [witnessKey] },
 *   log: { origin: 'palisade/acme', key: logKey }, issuedAt: now, validForSeconds: 365 * 86400,
 *   maxCommandValiditySeconds: 7 * 86400, frozen: false })
 */
export function buildRoot(spec: RootSpec, crypto?: CryptoProvider): BuiltRoot {
  const invalid = (why: string): never => fail('PROTO_MALFORMED', why)
  if (spec.admins.length === 0) invalid('name at least one admin')
  const names = new Set<string>()
  const ids = new Set<string>()
  const sorted = [...spec.admins].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
  const admins = sorted.map((a) => {
    const id = keyId(a.publicKey, crypto)
    if (names.has(a.name)) invalid(`the admin name "${a.name}" is given twice`)
    if (ids.has(id)) invalid(`the same public key is given twice (admin "${a.name}")`)
    names.add(a.name)
    ids.add(id)
    return { id, name: a.name, publicKey: toBase64(a.publicKey) }
  })
  for (const kind of ACTION_KINDS) {
    if (spec.thresholds[kind] > admins.length) {
      invalid(`the ${kind} threshold ${spec.thresholds[kind]} is more than the ${admins.length} admin key${admins.length === 1 ? '' : 's'}`)
    }
  }
  if (new Set(spec.witnesses.keys).size !== spec.witnesses.keys.length) invalid('a witness is given twice')
  if (new Set(spec.monitors ?? []).size !== (spec.monitors ?? []).length) invalid('a monitor URL is given twice')
  if (spec.witnesses.quorum > spec.witnesses.keys.length) {
    invalid(`the witness quorum ${spec.witnesses.quorum} is more than the ${spec.witnesses.keys.length} witnesses`)
  }
  const doc = {
    type: ROOT_TYPE,
    org: spec.org,
    version: spec.version,
    issuedAt: spec.issuedAt,
    expiresAt: spec.issuedAt + spec.validForSeconds,
    admins,
    thresholds: { ...spec.thresholds },
    witnesses: { quorum: spec.witnesses.quorum, keys: [...spec.witnesses.keys] },
    log: { origin: spec.log.origin, key: spec.log.key },
    maxCommandValiditySeconds: spec.maxCommandValiditySeconds,
    frozen: spec.frozen,
    // Optional in the root: left out when unset, so roots without them keep their bytes.
    ...(spec.monitors === undefined || spec.monitors.length === 0 ? {} : { monitors: [...spec.monitors] }),
    ...(spec.checkpointMaxAgeSeconds === undefined || spec.checkpointMaxAgeSeconds === null ? {} : { checkpointMaxAgeSeconds: spec.checkpointMaxAgeSeconds }),
  }
  const payload = canonicalJsonBytes(doc)
  return { root: parseRoot(payload, crypto), payload, fingerprint: rootFingerprint(payload, crypto) }
}
