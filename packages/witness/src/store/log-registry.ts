/**
 * logs.json: the logs this witness witnesses, each an origin and the log's
 * Ed25519 note verifier key (c2sp.org/signed-note, type 0x01), whose name
 * is the origin:
 *
 *     { "version": 1, "logs": [ { "origin": "palisade/acme", "key": "palisade/acme+1a2b3c4d+AX…", "addedAt": "<ISO 8601>",
 *                                 "rootFingerprint": "<64 hex, optional>" } ] }
 *
 * `rootFingerprint` pins the org's root v1 for a Palisade org log: the
 * witness then cosigns only checkpoints whose root line names the newest
 * root it verified from that pin (Cosigner, POST /add-root). Without it the
 * log is a plain C2SP log and root lines are not checked.
 *
 * Guarantees: every entry read back has a key that parses and names its
 * origin, and no origin appears twice, so a request's origin selects exactly
 * one key. A running witness sees logs added by `palisade witness add-log`
 * without a restart (LogRegistry re-reads the file when it changes), and
 * keeps the last good list if the file is broken by hand.
 *
 * Trusts: the operator, who decides which keys are logs.
 */
import { stat } from 'node:fs/promises'
import { FINGERPRINT_RE, note } from '@palisade/protocol'
import { systemErrorCode, WitnessError } from '../errors.js'
import { readJsonFile, writeFileAtomic } from './atomic-file.js'
import type { DataPaths } from './data-dir.js'

const MAX_BYTES = 1 << 20

/** One witnessed log. */
export interface TrustedLog {
  readonly origin: string
  /** The verifier key string, as registered. */
  readonly key: string
  readonly verifier: note.Verifier
  readonly addedAt: string
  /** The pinned fingerprint of the org's root v1, for a Palisade org log. */
  readonly rootFingerprint?: string
}

/**
 * Validates a log verifier key for registration: an Ed25519 (type 0x01)
 * note verifier key; its name is the log origin. WIT_KEY_INVALID otherwise.
 *
 * @example
 * parseLogKey('palisade/acme+1a2b3c4d+AX…').origin // 'palisade/acme'
 */
export function parseLogKey(key: string): { readonly origin: string; readonly verifier: note.Verifier } {
  let verifier: note.Verifier
  try {
    verifier = note.verifierFromString(key.trim())
  } catch (e) {
    throw new WitnessError('WIT_KEY_INVALID', `invalid log key: ${(e as Error).message}`, { cause: e })
  }
  return { origin: verifier.name, verifier }
}

/**
 * Reads logs.json ([] when it does not exist). WIT_DATA_INVALID for a file
 * that is not a valid list.
 *
 * @example
 * for (const log of await readLogs(paths)) console.log(log.origin)
 */
export async function readLogs(paths: DataPaths): Promise<readonly TrustedLog[]> {
  const doc = await readJsonFile(paths.logs, MAX_BYTES)
  if (doc === undefined) return []
  const invalid = (why: string): never => {
    throw new WitnessError('WIT_DATA_INVALID', `${paths.logs}: ${why}`, { details: { path: paths.logs } })
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return invalid('not a JSON object')
  const { version, logs } = doc as Record<string, unknown>
  if (version !== 1) invalid('unknown version')
  if (!Array.isArray(logs)) return invalid('"logs" is not an array')
  const out: TrustedLog[] = []
  const seen = new Set<string>()
  for (const [i, entry] of logs.entries()) {
    if (typeof entry !== 'object' || entry === null) invalid(`logs[${i}] is not an object`)
    const { origin, key, addedAt, rootFingerprint } = entry as Record<string, unknown>
    if (rootFingerprint !== undefined && (typeof rootFingerprint !== 'string' || !FINGERPRINT_RE.test(rootFingerprint))) {
      invalid(`logs[${i}].rootFingerprint is not 64 lower-case hex digits`)
    }
    if (typeof key !== 'string') return invalid(`logs[${i}].key is not a string`)
    let parsed: ReturnType<typeof parseLogKey>
    try {
      parsed = parseLogKey(key)
    } catch {
      return invalid(`logs[${i}].key is not an Ed25519 note verifier key`)
    }
    if (origin !== parsed.origin) invalid(`logs[${i}].origin is not the name of its key`)
    if (seen.has(parsed.origin)) invalid(`origin ${JSON.stringify(parsed.origin)} is listed twice`)
    seen.add(parsed.origin)
    out.push(
      Object.freeze({
        origin: parsed.origin,
        key,
        verifier: parsed.verifier,
        addedAt: typeof addedAt === 'string' ? addedAt : '',
        ...(typeof rootFingerprint === 'string' ? { rootFingerprint } : {}),
      }),
    )
  }
  return Object.freeze(out)
}

/**
 * Checks a root fingerprint given to add-log: 64 lower-case hex digits
 * (rootFingerprint of the org's root v1). WIT_CONFIG otherwise.
 */
export function parseRootFingerprint(fp: string): string {
  const t = fp.trim()
  if (!FINGERPRINT_RE.test(t)) throw new WitnessError('WIT_CONFIG', 'a root fingerprint is 64 lower-case hex digits (`palisade root show` prints it)')
  return t
}

/**
 * Registers a log by its verifier key, optionally pinning the org's root v1
 * by fingerprint. Adding the same key (and pin) again changes nothing
 * (`added: false`); pinning a log registered without a pin adds the pin
 * (only more checks follow); another key, or another pin, for a registered
 * origin is refused (WIT_LOG_EXISTS): a log's key and root are the trust
 * decision, and replacing them silently would let whoever can run this
 * command redirect the witness. Not safe against two concurrent add-log
 * runs on one directory.
 *
 * @example
 * const { origin, added } = await addLog(paths, 'palisade/acme+1a2b3c4d+AX…', '9f86d0…')
 */
export async function addLog(
  paths: DataPaths,
  key: string,
  rootFingerprint?: string,
): Promise<{ readonly origin: string; readonly added: boolean; readonly pinned: boolean }> {
  const { origin } = parseLogKey(key)
  const pin = rootFingerprint === undefined ? undefined : parseRootFingerprint(rootFingerprint)
  const logs = await readLogs(paths)
  const existing = logs.find((l) => l.origin === origin)
  let entries: { origin: string; key: string; addedAt: string; rootFingerprint?: string }[]
  if (existing !== undefined) {
    if (existing.key !== key.trim()) {
      throw new WitnessError('WIT_LOG_EXISTS', `log ${JSON.stringify(origin)} is already registered with another key`, {
        details: { origin },
      })
    }
    if (pin === undefined || existing.rootFingerprint === pin) return { origin, added: false, pinned: existing.rootFingerprint !== undefined }
    if (existing.rootFingerprint !== undefined) {
      throw new WitnessError('WIT_LOG_EXISTS', `log ${JSON.stringify(origin)} is already registered with another root fingerprint`, {
        details: { origin },
      })
    }
    entries = logs.map((l) => (l.origin === origin ? { ...l, rootFingerprint: pin } : l))
  } else {
    entries = [...logs, { origin, key: key.trim(), addedAt: new Date().toISOString(), ...(pin === undefined ? {} : { rootFingerprint: pin }) }]
  }
  entries = entries.map((l) => ({
    origin: l.origin,
    key: l.key,
    addedAt: l.addedAt,
    ...(l.rootFingerprint === undefined ? {} : { rootFingerprint: l.rootFingerprint }),
  }))
  await writeFileAtomic(paths.logs, JSON.stringify({ version: 1, logs: entries }, null, 2) + '\n')
  return { origin, added: existing === undefined, pinned: pin !== undefined || existing?.rootFingerprint !== undefined }
}

/**
 * The live list of logs for a running witness: re-reads logs.json when its
 * inode, size or mtime changed (addLog replaces it by rename, so the inode
 * always changes). A broken file keeps the last good list and reports the
 * error through `onError`.
 */
export class LogRegistry {
  readonly #paths: DataPaths
  readonly #onError: (e: unknown) => void
  #stamp = ''
  #logs = new Map<string, TrustedLog>()

  constructor(paths: DataPaths, onError: (e: unknown) => void) {
    this.#paths = paths
    this.#onError = onError
  }

  /** Loads the list; throws if it is broken (call once at start-up). */
  async load(): Promise<void> {
    await this.#refresh(true)
  }

  /** The current logs, by origin. */
  async current(): Promise<ReadonlyMap<string, TrustedLog>> {
    await this.#refresh(false)
    return this.#logs
  }

  async #refresh(strict: boolean): Promise<void> {
    let stamp = 'none'
    try {
      const st = await stat(this.#paths.logs)
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`
    } catch (e) {
      if (systemErrorCode(e) !== 'ENOENT') return this.#fail(e, strict)
    }
    if (stamp === this.#stamp) return
    try {
      const logs = await readLogs(this.#paths)
      this.#logs = new Map(logs.map((l) => [l.origin, l]))
    } catch (e) {
      this.#fail(e, strict)
    }
    // also after a failure: report a broken file once, not on every request
    this.#stamp = stamp
  }

  #fail(e: unknown, strict: boolean): void {
    if (strict) throw e
    this.#onError(e)
  }
}
