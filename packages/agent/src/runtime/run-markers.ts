/**
 * "Running" markers: the record that a command was accepted and may have
 * started, kept from just before the trust state is persisted until its
 * result is spooled. They are what makes crash recovery honest (see
 * recover.ts): after a crash, a marker whose command is in `executed` but
 * has no spooled result is a command whose outcome nobody knows.
 *
 * One file per command: running/<commandId>.json = { commandId, startedAt }.
 */
import { readdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { ID_RE } from '@palisade/protocol'
import { systemErrorCode } from '../errors.js'
import { readJsonFile, writeFileAtomic } from '../state/atomic-file.js'

/** A command between "accepted" and "result spooled". */
export interface RunMarker {
  readonly commandId: string
  /** Unix milliseconds when the agent accepted it. */
  readonly startedAt: number
}

/** Writes the marker durably. */
export async function writeRunMarker(dir: string, m: RunMarker): Promise<void> {
  await writeFileAtomic(join(dir, `${m.commandId}.json`), JSON.stringify({ commandId: m.commandId, startedAt: m.startedAt }))
}

/** Deletes the marker; a missing one is fine. */
export async function removeRunMarker(dir: string, commandId: string): Promise<void> {
  try {
    await unlink(join(dir, `${commandId}.json`))
  } catch (e) {
    if (systemErrorCode(e) !== 'ENOENT') throw e
  }
}

/**
 * Every marker in `dir`. A marker file that does not parse (it never
 * should: writes are atomic) still counts, named by its file, with its
 * modification time as startedAt.
 */
export async function listRunMarkers(dir: string): Promise<RunMarker[]> {
  const out: RunMarker[] = []
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (e) {
    if (systemErrorCode(e) === 'ENOENT') return out
    throw e
  }
  for (const name of names.sort()) {
    const m = /^(.+)\.json$/.exec(name)
    if (m === null || !ID_RE.test(m[1]!)) continue
    const commandId = m[1]!
    const path = join(dir, name)
    try {
      const startedAt = await readJsonFile(path, 4096, (v) => {
        const t = (v as { startedAt?: unknown } | null)?.startedAt
        if (!Number.isSafeInteger(t) || (t as number) < 0) throw new Error('no startedAt')
        return t as number
      })
      out.push({ commandId, startedAt })
    } catch {
      const mtime = await stat(path).then((s) => Math.floor(s.mtimeMs), () => Date.now())
      out.push({ commandId, startedAt: mtime })
    }
  }
  return out
}
