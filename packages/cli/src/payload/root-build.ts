/**
 * Building a version of an org root from what the admin typed: version 1
 * here, later versions through root-changes.ts. The payload itself is
 * built by protocol's buildRoot (shared with the console's first-run
 * setup), which parses it back with protocol's own parser, so the CLI
 * never asks anyone to sign a root that devices would refuse. This file
 * only turns its refusals into CLI errors.
 */
import { buildRoot as buildProtocolRoot, isProtocolError, type ActionKind, type Root } from '@palisade/protocol'
import type { AdminSpec } from '../args/root-options.js'
import { CliError } from '../errors.js'

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
  /** Where agents also send rejections and alerts (omitted from the payload when empty). */
  readonly monitors?: readonly string[]
  /** Staleness bound for devices (omitted from the payload when null or absent). */
  readonly checkpointMaxAgeSeconds?: number | null
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
  const invalid = (why: string, cause?: unknown): never => {
    throw new CliError('CLI_ARG_INVALID', `the root cannot be built: ${why}`, { cause })
  }
  if (spec.admins.length === 0) invalid('name at least one admin (--admin or --admin-key)')
  try {
    return buildProtocolRoot(spec)
  } catch (e) {
    if (isProtocolError(e)) return invalid(e.message, e)
    throw e
  }
}
