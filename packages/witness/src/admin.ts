/**
 * What `palisade witness key`, `add-log` and `reports prune` do, by data
 * directory: operations on a witness's files that need no running server.
 * A running witness picks up added logs without a restart; reports are
 * pruned only while no witness serves the directory.
 *
 * Guarantees: nothing here returns or prints the witness's private key.
 */
import { WitnessError } from './errors.js'
import { acquireLock, ensureDataDir } from './store/data-dir.js'
import { addLog, parseLogKey, parseRootFingerprint, readLogs } from './store/log-registry.js'
import { pruneReportFiles, type PrunedReports } from './store/report-prune.js'
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

export type { PrunedReports }

/**
 * Frees a log's report budget on purpose: moves the reports of `origin`
 * with seq ≤ `through` to `<dataDir>/reports-archive/` (never deleted;
 * store/report-prune.ts), keeping seq numbering continuous. Only while the
 * witness is stopped: it takes the data directory's lock, so a running
 * witness makes it fail with WIT_DATA_LOCKED (and the witness, started
 * again, refuses to start while a prune runs). WIT_LOG_UNKNOWN for an
 * origin not witnessed, WIT_CONFIG for a `through` that is not a seq or is
 * past the last report.
 *
 * @example
 * await pruneWitnessReports('./witness-data', 'palisade/acme', 1200) // { archived: 1200, archive: '/srv/witness-data/reports-archive/….1-1200.jsonl', nextSeq: 1301, … }
 */
export async function pruneWitnessReports(dataDir: string, origin: string, through: number): Promise<PrunedReports> {
  if (!Number.isSafeInteger(through) || through < 1) {
    throw new WitnessError('WIT_CONFIG', `through must be a report seq (a whole number ≥ 1), not ${String(through)}`)
  }
  const paths = await ensureDataDir(dataDir)
  if (!(await readLogs(paths)).some((l) => l.origin === origin)) {
    throw new WitnessError('WIT_LOG_UNKNOWN', `this witness does not witness ${JSON.stringify(origin.slice(0, 256))}`)
  }
  const release = await acquireLock(paths)
  try {
    return await pruneReportFiles(paths, origin, through, new Date())
  } finally {
    await release()
  }
}
