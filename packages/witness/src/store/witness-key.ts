/**
 * The witness's own key: an Ed25519 seed and the witness name, in
 * witness-key.json (mode 0600), made on first use and never replaced:
 *
 *     { "version": 1, "name": "witness.example.com", "seed": "<base64 32 bytes>", "createdAt": "<ISO 8601>" }
 *
 * Its public identity is the cosignature/v1 verifier key
 * `<name>+<hex8>+base64(0x04 ‖ public key)` (c2sp.org/tlog-cosignature),
 * which orgs put in their root of trust. The name is part of that identity
 * (it is hashed into the key ID), so it is fixed when the key is made.
 *
 * Guarantees: the seed never leaves this module except to `cosign`; errors
 * name the file, never its content. A key file other users can read is
 * refused (WIT_DATA_INSECURE), like ssh does.
 *
 * Trusts: the data directory (0700) and node:crypto's CSPRNG.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { stat } from 'node:fs/promises'
import { cosignature, fromBase64, nodePublicKey, note, toBase64 } from '@palisade/protocol'
import { ioError, WitnessError } from '../errors.js'
import { createFileExclusive, readJsonFile } from './atomic-file.js'
import type { DataPaths } from './data-dir.js'

/** The loaded witness key. `seed` is secret. */
export interface WitnessKey {
  readonly name: string
  readonly seed: Uint8Array
  readonly publicKey: Uint8Array
  /** The cosignature/v1 verifier key string. */
  readonly verifierKey: string
}

/**
 * The name a new witness key gets when none is given: the host name.
 *
 * @example
 * defaultWitnessName() // 'witness1.example.com'
 */
export function defaultWitnessName(): string {
  return hostname()
}

/**
 * Loads the witness key of a data directory, creating it on first use with
 * `name` (default: the host name). When a key exists and `name` is given,
 * the names must agree (WIT_NAME_MISMATCH): silently using the old name
 * would publish another identity than the operator asked for.
 *
 * @example
 * const key = await loadOrCreateWitnessKey(paths, 'witness.example.com')
 * console.log(key.verifierKey)
 */
export async function loadOrCreateWitnessKey(paths: DataPaths, name?: string): Promise<WitnessKey> {
  if (name !== undefined) checkName(name)
  let key = await loadWitnessKey(paths)
  if (key === undefined) {
    const newName = name ?? defaultWitnessName()
    checkName(newName)
    const seed = randomBytes(32)
    const doc = { version: 1, name: newName, seed: toBase64(seed), createdAt: new Date().toISOString() }
    // Exclusive: two witnesses starting at once must not each make a key.
    await createFileExclusive(paths.key, JSON.stringify(doc, null, 2) + '\n')
    key = await loadWitnessKey(paths)
    if (key === undefined) throw new WitnessError('WIT_IO', `${paths.key} vanished after it was created`, { details: { path: paths.key } })
  }
  if (name !== undefined && name !== key.name) {
    throw new WitnessError('WIT_NAME_MISMATCH', `${paths.key} belongs to witness ${JSON.stringify(key.name)}, not ${JSON.stringify(name)}`, {
      details: { path: paths.key, name: key.name },
    })
  }
  return key
}

/** The key in the data directory, or undefined when there is none yet. */
export async function loadWitnessKey(paths: DataPaths): Promise<WitnessKey | undefined> {
  const doc = await readJsonFile(paths.key, 4096)
  if (doc === undefined) return undefined
  if (process.platform !== 'win32') {
    let mode: number
    try {
      mode = (await stat(paths.key)).mode
    } catch (e) {
      throw ioError('stat', paths.key, e)
    }
    if ((mode & 0o077) !== 0) {
      throw new WitnessError('WIT_DATA_INSECURE', `${paths.key} is readable by other users (run chmod 600 on it)`, {
        details: { path: paths.key },
      })
    }
  }
  const invalid = (why: string): never => {
    throw new WitnessError('WIT_DATA_INVALID', `${paths.key}: ${why}`, { details: { path: paths.key } })
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return invalid('not a JSON object')
  const { version, name, seed } = doc as Record<string, unknown>
  if (version !== 1) invalid('unknown version')
  if (typeof name !== 'string' || !note.isValidKeyName(name)) return invalid('invalid name')
  let raw: Uint8Array
  try {
    raw = fromBase64(typeof seed === 'string' ? seed : '')
  } catch {
    return invalid('seed is not base64')
  }
  if (raw.length !== 32) invalid('seed is not 32 bytes')
  const publicKey = nodePublicKey(raw)
  return Object.freeze({
    name,
    seed: raw,
    publicKey,
    verifierKey: cosignature.formatWitnessVerifierKey(name, publicKey),
  })
}

function checkName(name: string): void {
  if (!note.isValidKeyName(name)) {
    throw new WitnessError('WIT_NAME_INVALID', `invalid witness name ${JSON.stringify(name.slice(0, 80))}: a note key name has no spaces and no "+"`)
  }
}
