/**
 * What `palisade witness key` and `palisade witness add-log` do, by data
 * directory: operations on a witness's files that need no running server.
 * A running witness picks up added logs without a restart.
 *
 * Guarantees: nothing here returns or prints the witness's private key.
 */
import { ensureDataDir } from './store/data-dir.js'
import { addLog, parseLogKey, parseRootFingerprint, readLogs } from './store/log-registry.js'
import { loadOrCreateWitnessKey } from './store/witness-key.js'

/** A witness's public identity. */
export interface WitnessIdentity {
  readonly name: string
  /** The cosignature/v1 verifier key string. */
  readonly verifierKey: string
}

/**
 * The witness identity of a data directory, making its key on first use
 * (with `name`, default the host name).
 *
 * @example
 * (await witnessIdentity('./witness-data')).verifierKey // 'witness.example.com+1f2e3d4c+BK…'
 */
export async function witnessIdentity(dataDir: string, name?: string): Promise<WitnessIdentity> {
  const key = await loadOrCreateWitnessKey(await ensureDataDir(dataDir), name)
  return Object.freeze({ name: key.name, verifierKey: key.verifierKey })
}

/**
 * Registers a log (by its Ed25519 note verifier key, whose name is the
 * origin) in a data directory, optionally pinning the org's root v1 by its
 * fingerprint (a Palisade org log: the witness then checks root lines).
 * WIT_KEY_INVALID for a key that does not parse, WIT_CONFIG for a bad
 * fingerprint, WIT_LOG_EXISTS when the origin has another key or pin.
 *
 * @example
 * await addWitnessedLog('./witness-data', 'palisade/acme+1a2b3c4d+AX…', '9f86d0…') // { origin: 'palisade/acme', added: true, pinned: true }
 */
export async function addWitnessedLog(
  dataDir: string,
  key: string,
  rootFingerprint?: string,
): Promise<{ readonly origin: string; readonly added: boolean; readonly pinned: boolean }> {
  parseLogKey(key) // refuse a bad key or pin before creating any directory
  if (rootFingerprint !== undefined) parseRootFingerprint(rootFingerprint)
  return addLog(await ensureDataDir(dataDir), key, rootFingerprint)
}

/**
 * The logs registered in a data directory.
 *
 * @example
 * for (const { origin, key } of await witnessedLogs('./witness-data')) console.log(origin, key)
 */
export async function witnessedLogs(
  dataDir: string,
): Promise<readonly { readonly origin: string; readonly key: string; readonly rootFingerprint?: string }[]> {
  const logs = await readLogs(await ensureDataDir(dataDir))
  return logs.map((l) => Object.freeze({ origin: l.origin, key: l.key, ...(l.rootFingerprint === undefined ? {} : { rootFingerprint: l.rootFingerprint }) }))
}
