/**
 * Building a version of an org root (protocol root/root.ts) from what the
 * admin typed: version 1 here, later versions through root-changes.ts.
 * Pure: the time comes in. The payload is canonical JSON (RFC 8785)
 * parsed back by protocol's own parser, so the CLI never asks anyone to
 * sign a root that devices would refuse.
 */
import {
  ACTION_KINDS,
  ROOT_TYPE,
  canonicalJsonBytes,
  isProtocolError,
  keyId,
  parseRoot,
  rootFingerprint,
  toBase64,
  type ActionKind,
  type Root,
} from '@palisade/protocol'
import type { AdminSpec } from '../args/root-options.js'
import { CliError } from '../errors.js'
import { quote } from '../validate.js'

/** Everything root v1 says. */
export interface RootSpec {
  readonly org: string
  readonly admins: readonly AdminSpec[]
  readonly thresholds: Readonly<Record<ActionKind, number>>
  /** cosignature/v1 verifier keys and how many must cosign. */
  readonly witnesses: { readonly quorum: number; readonly keys: readonly string[] }
  readonly log: { readonly origin: string; readonly key: string }
  /** Unix seconds. */
  readonly issuedAt: number
  readonly validForSeconds: number
  readonly maxCommandValiditySeconds: number
}

/** A root, its payload bytes and fingerprint. */
export interface BuiltRoot {
  readonly root: Root
  readonly payload: Uint8Array
  readonly fingerprint: string
}

/** Which version a root is, and whether it freezes every command. */
export interface VersionSpec {
  readonly version: number
  readonly frozen: boolean
}

/**
 * Builds root v1, admins sorted by name. Throws CLI_ARG_INVALID with a sentence for each way the
 * options can contradict each other (a threshold above the admin count, a
 * key listed twice, a quorum above the witness count).
 *
 * @example
 * const { payload, fingerprint } = buildRootV1({ org: 'acme', admins, thresholds, witnesses, log, issuedAt: now,
 *   validForSeconds: 365 * 86400, maxCommandValiditySeconds: 7 * 86400 })
 */
export function buildRootV1(spec: RootSpec): BuiltRoot {
  return buildRoot({ ...spec, version: 1, frozen: false })
}

/**
 * Builds any version of a root from a complete spec, with the checks of
 * buildRootV1. What a version may change relative to the one before is
 * decided by its builder (root-changes.ts), and its signatures by protocol.
 *
 * @example
 * const v2 = buildRoot({ ...spec, version: 2, frozen: true })
 */
export function buildRoot(spec: RootSpec & VersionSpec): BuiltRoot {
  const invalid = (why: string): never => {
    throw new CliError('CLI_ARG_INVALID', `the root cannot be built: ${why}`)
  }
  if (spec.admins.length === 0) invalid('name at least one admin (--admin or --admin-key)')
  const names = new Set<string>()
  const ids = new Set<string>()
  // sorted by name: the same admins in any option order give the same root
  const sorted = [...spec.admins].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
  const admins = sorted.map((a) => {
    const id = keyId(a.publicKey)
    if (names.has(a.name)) invalid(`the admin name ${quote(a.name)} is given twice`)
    if (ids.has(id)) invalid(`the same public key is given twice (admin ${quote(a.name)})`)
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
  }
  const payload = canonicalJsonBytes(doc)
  try {
    return { root: parseRoot(payload), payload, fingerprint: rootFingerprint(payload) }
  } catch (e) {
    if (isProtocolError(e)) return invalid(e.message)
    throw e
  }
}
