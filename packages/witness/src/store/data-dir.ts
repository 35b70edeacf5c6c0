/**
 * The witness data directory (mode 0700):
 *
 *     witness-key.json        the witness's Ed25519 key and name (0600)
 *     logs.json               the logs it witnesses: origin and log key
 *     checkpoints/<hex>.json  per log, the latest cosigned checkpoint;
 *                             <hex> = SHA-256(origin), so any origin is a safe name
 *     checkpoints/<hex>.root.json  per log with a pinned org root, the newest
 *                             root version verified (POST /add-root)
 *     refusals.jsonl          every refused add-checkpoint, one JSON object a line
 *     reports/<hex>.jsonl     per log, the device reports received (POST /palisade/v1/reports),
 *                             within a byte budget, never rotated (<hex>.jsonl.1: left by earlier versions)
 *     reports-archive/        reports the operator pruned (store/report-prune.ts)
 *     witness.lock            the pid of the witness serving this directory
 *
 * Guarantees: at most one witness process serves a directory at a time
 * (`acquireLock`): the per-origin serialisation that keeps the witness from
 * cosigning a fork only holds within one process.
 *
 * Trusts: the local filesystem and its permissions.
 */
import { chmod, mkdir, open, readFile, stat, unlink } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { join, resolve } from 'node:path'
import { ioError, systemErrorCode, WitnessError } from '../errors.js'

/** Where `palisade witness` keeps its state unless told otherwise (relative to the working directory). */
export const DEFAULT_DATA_DIR = 'witness-data'

/** The paths of one data directory. */
export interface DataPaths {
  readonly dir: string
  readonly key: string
  readonly logs: string
  readonly checkpoints: string
  readonly refusals: string
  /** Per-origin device reports (store/report-log.ts). */
  readonly reports: string
  readonly lock: string
}

/**
 * The paths of the data directory `dir` (made absolute).
 *
 * @example
 * dataPaths('./witness-data').logs // '/srv/witness-data/logs.json'
 */
export function dataPaths(dir: string): DataPaths {
  const abs = resolve(dir)
  return Object.freeze({
    dir: abs,
    key: join(abs, 'witness-key.json'),
    logs: join(abs, 'logs.json'),
    checkpoints: join(abs, 'checkpoints'),
    refusals: join(abs, 'refusals.jsonl'),
    reports: join(abs, 'reports'),
    lock: join(abs, 'witness.lock'),
  })
}

/** `<SHA-256(origin) hex><suffix>` in `dir`: origins are arbitrary text, file names must not be. */
function originFile(dir: string, origin: string, suffix: string): string {
  return join(dir, `${createHash('sha256').update(origin, 'utf8').digest('hex')}${suffix}`)
}

/** The state file of one log: checkpoints/<SHA-256(origin) hex>.json. */
export function checkpointPath(paths: DataPaths, origin: string): string {
  return originFile(paths.checkpoints, origin, '.json')
}

/** The reports file of one log: reports/<SHA-256(origin) hex>.jsonl. */
export function reportsPath(paths: DataPaths, origin: string): string {
  return originFile(paths.reports, origin, '.jsonl')
}

/**
 * The root state of one log with a pinned org root:
 * checkpoints/<SHA-256(origin) hex>.root.json (see store/root-store.ts).
 */
export function rootStatePath(paths: DataPaths, origin: string): string {
  return originFile(paths.checkpoints, origin, '.root.json')
}

/**
 * Creates the data directory (and checkpoints/, reports/) if needed, and makes it
 * private (0700): it holds the witness key.
 *
 * @example
 * const paths = await ensureDataDir('./witness-data')
 */
export async function ensureDataDir(dir: string): Promise<DataPaths> {
  const paths = dataPaths(dir)
  for (const d of [paths.dir, paths.checkpoints, paths.reports]) {
    try {
      await mkdir(d, { recursive: true, mode: 0o700 })
      const st = await stat(d)
      if (!st.isDirectory()) throw new WitnessError('WIT_CONFIG', `${d} is not a directory`, { details: { path: d } })
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) await chmod(d, 0o700)
    } catch (e) {
      if (e instanceof WitnessError) throw e
      throw ioError('create the data directory', d, e)
    }
  }
  return paths
}

// Locks this process holds, so a pid that is ours (pid 1 in a fresh
// container, say) can still be recognised as a stale lock from a previous run.
const held = new Set<string>()

/**
 * Takes the data directory for this process: creates witness.lock holding
 * our pid. A lock left by a process that no longer runs is taken over.
 * WIT_DATA_LOCKED when a live process holds it. Returns the release function.
 *
 * @example
 * const release = await acquireLock(paths)
 * try { serve() } finally { await release() }
 */
export async function acquireLock(paths: DataPaths): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(paths.lock, 'wx', 0o600)
      try {
        await fh.writeFile(`${process.pid}\n`)
      } finally {
        await fh.close()
      }
      held.add(paths.lock)
      return async () => {
        held.delete(paths.lock)
        await unlink(paths.lock).catch(() => undefined)
      }
    } catch (e) {
      if (systemErrorCode(e) !== 'EEXIST') throw ioError('create', paths.lock, e)
    }
    const pid = Number.parseInt(await readFile(paths.lock, 'utf8').catch(() => ''), 10)
    if (held.has(paths.lock) || (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid))) {
      throw new WitnessError('WIT_DATA_LOCKED', `${paths.dir} is in use by another witness (pid ${pid}, see ${paths.lock})`, {
        details: { path: paths.lock },
      })
    }
    await unlink(paths.lock).catch(() => undefined) // stale: its process is gone
  }
  throw new WitnessError('WIT_DATA_LOCKED', `cannot take ${paths.lock}`, { details: { path: paths.lock } })
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return systemErrorCode(e) === 'EPERM' // alive, owned by someone else
  }
}
