/**
 * logs.json: the logs this witness witnesses, each an origin and the log's
 * Ed25519 note verifier key (c2sp.org/signed-note, type 0x01), whose name
 * is the origin:
 *
 *     { "version": 1, "logs": [ { "origin": "palisade/acme", "key": "palisade/acme+1a2b3c4d+AX…", "addedAt": "<ISO 8601>" } ] }
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
import { note } from '@palisade/protocol'
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
    const { origin, key, addedAt } = entry as Record<string, unknown>
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
    out.push(Object.freeze({ origin: parsed.origin, key, verifier: parsed.verifier, addedAt: typeof addedAt === 'string' ? addedAt : '' }))
  }
  return Object.freeze(out)
}

/**
 * Registers a log by its verifier key. Adding the same key again changes
 * nothing (`added: false`); another key for a registered origin is refused
 * (WIT_LOG_EXISTS): a log's key is the trust decision, and replacing it
 * silently would let whoever can run this command redirect the witness.
 * Not safe against two concurrent add-log runs on one directory.
 *
 * @example
 * const { origin, added } = await addLog(paths, 'palisade/acme+1a2b3c4d+AX…')
 */
export async function addLog(paths: DataPaths, key: string): Promise<{ readonly origin: string; readonly added: boolean }> {
  const { origin } = parseLogKey(key)
  const logs = await readLogs(paths)
  const existing = logs.find((l) => l.origin === origin)
  if (existing !== undefined) {
    if (existing.key === key.trim()) return { origin, added: false }
    throw new WitnessError('WIT_LOG_EXISTS', `log ${JSON.stringify(origin)} is already registered with another key`, {
      details: { origin },
    })
  }
  const entries = [...logs, { origin, key: key.trim(), addedAt: new Date().toISOString() }].map((l) => ({
    origin: l.origin,
    key: l.key,
    addedAt: l.addedAt,
  }))
  await writeFileAtomic(paths.logs, JSON.stringify({ version: 1, logs: entries }, null, 2) + '\n')
  return { origin, added: true }
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
