/**
 * Building root version N+1 from version N and the changes an admin asked
 * for (`palisade root rotate`, `palisade incident freeze`). Pure: the time
 * comes in, and the current root must come from a chain verified from the
 * pinned fingerprint (the caller's job).
 *
 * What is not asked for is kept: the admins, thresholds, witnesses and
 * quorum, the monitors and checkpoint max age, the maximum command
 * validity, the frozen flag and the expiry
 * (so a freeze changes `frozen` and nothing else a device acts on; only
 * the version and issue time move). The org and
 * the log (origin and key) are always kept: the server can only sign with
 * the log key it holds.
 */
import { cosignature, equalBytes, keyId, type ActionKind, type Root } from '@palisade/protocol'
import type { AdminSpec, WitnessSpec } from '../args/root-options.js'
import { CliError } from '../errors.js'
import { quote } from '../validate.js'
import { buildRoot, type BuiltRoot } from './root-build.js'

/** What changes from one version to the next; everything is optional. */
export interface RootChanges {
  readonly addAdmins?: readonly AdminSpec[]
  /** Admin names of the current root. Removed before additions, so one name can get a new key. */
  readonly removeAdmins?: readonly string[]
  /** Only the kinds given change. */
  readonly thresholds?: Readonly<Partial<Record<ActionKind, number>>>
  readonly addWitnesses?: readonly WitnessSpec[]
  /** Witness names (the name part of the verifier key) or whole verifier keys. */
  readonly removeWitnesses?: readonly string[]
  readonly quorum?: number
  /** From the new issue time; default: the current root's expiry is kept. */
  readonly validForSeconds?: number
  readonly maxCommandValiditySeconds?: number
  readonly frozen?: boolean
  /** Replaces the monitor list (an empty list removes every monitor). */
  readonly monitors?: readonly string[]
  /** A new checkpoint max age, in seconds. */
  readonly checkpointMaxAgeSeconds?: number
  /** A new log verifier key (same origin): the server's pending key after `incident rotate-credentials`. */
  readonly logKey?: string
}

/**
 * Builds version `current.version + 1`. Throws CLI_ARG_INVALID with a
 * sentence when a change does not apply (an unknown admin or witness, a
 * name or key already there) or leaves a root that cannot be (a threshold
 * above the admin count, a quorum above the witness count).
 *
 * @example
 * const v2 = buildNextRoot(v1.root, { frozen: true }, Math.floor(Date.now() / 1000))
 */
export function buildNextRoot(current: Root, changes: RootChanges, issuedAt: number): BuiltRoot {
  const invalid = (why: string, hint?: string): never => {
    throw new CliError('CLI_ARG_INVALID', `root v${current.version + 1} cannot be built: ${why}`, hint === undefined ? {} : { hint })
  }

  if (changes.frozen !== undefined && changes.frozen === current.frozen) {
    invalid(current.frozen ? `root v${current.version} is frozen already` : `root v${current.version} is not frozen`)
  }

  let admins: AdminSpec[] = current.admins.map((a) => ({ name: a.name, publicKey: a.publicKey }))
  for (const name of changes.removeAdmins ?? []) {
    if (!admins.some((a) => a.name === name)) invalid(`there is no admin ${quote(name)} to remove (admins: ${current.admins.map((a) => a.name).join(', ')})`)
    admins = admins.filter((a) => a.name !== name)
  }
  for (const add of changes.addAdmins ?? []) {
    const byName = admins.find((a) => a.name === add.name)
    if (byName !== undefined) invalid(`an admin named ${quote(add.name)} is already in the root`, `to give ${add.name} a new key, also pass --remove-admin ${add.name}`)
    const byKey = admins.find((a) => equalBytes(a.publicKey, add.publicKey))
    if (byKey !== undefined) invalid(`the key of ${quote(add.name)} (key id ${keyId(add.publicKey)}) is already the key of admin ${quote(byKey.name)}`)
    admins.push(add)
  }
  if (admins.length === 0) invalid('it would have no admin left')

  const thresholds = { ...current.thresholds, ...definedOnly(changes.thresholds ?? {}) }

  let witnessKeys = [...current.witnesses.keys]
  for (const w of changes.removeWitnesses ?? []) {
    const match = witnessKeys.filter((k) => k === w || witnessName(k) === w)
    if (match.length === 0) invalid(`there is no witness ${quote(w)} to remove (witnesses: ${witnessKeys.map(witnessName).join(', ') || 'none'})`)
    if (match.length > 1) invalid(`${quote(w)} names ${match.length} witnesses: give the whole verifier key`)
    witnessKeys = witnessKeys.filter((k) => k !== match[0])
  }
  for (const w of changes.addWitnesses ?? []) {
    if (witnessKeys.includes(w.key)) invalid(`the witness ${quote(witnessName(w.key))} is already in the root`)
    witnessKeys.push(w.key)
  }
  const quorum = changes.quorum ?? current.witnesses.quorum
  if (changes.quorum === undefined && quorum > witnessKeys.length) {
    invalid(`the witness quorum ${quorum} is more than the ${witnessKeys.length} witness${witnessKeys.length === 1 ? '' : 'es'} left`, 'pass --quorum with the new number of cosignatures each checkpoint needs')
  }

  if (changes.validForSeconds === undefined && current.expiresAt <= issuedAt) {
    invalid(`root v${current.version} expired at ${new Date(current.expiresAt * 1000).toISOString()}, and its expiry is kept unless one is given`, 'renew it: pass --expires (e.g. --expires 365d) to `palisade root rotate`')
  }

  return buildRoot({
    org: current.org,
    version: current.version + 1,
    admins,
    thresholds,
    witnesses: { quorum, keys: witnessKeys },
    log: { origin: current.log.origin, key: changes.logKey ?? current.log.key },
    issuedAt,
    validForSeconds: changes.validForSeconds ?? current.expiresAt - issuedAt,
    maxCommandValiditySeconds: changes.maxCommandValiditySeconds ?? current.maxCommandValiditySeconds,
    frozen: changes.frozen ?? current.frozen,
    monitors: changes.monitors ?? current.monitors,
    checkpointMaxAgeSeconds: changes.checkpointMaxAgeSeconds ?? current.checkpointMaxAgeSeconds,
  })
}

/**
 * The name of a cosignature/v1 verifier key (`<name>+<hash>+<key>`), or
 * the key itself when it does not parse.
 */
export function witnessName(vkey: string): string {
  try {
    return cosignature.witnessVerifierFromString(vkey).name
  } catch {
    return vkey
  }
}

function definedOnly<K extends string>(o: Readonly<Partial<Record<K, number>>>): Partial<Record<K, number>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<Record<K, number>>
}
