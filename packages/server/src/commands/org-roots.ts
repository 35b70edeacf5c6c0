/**
 * Reads an org's root chain from the database, for the features that act
 * under the root in force: enrollment (hands devices the chain), commands
 * (admin keys and thresholds) and the gateway (root updates).
 *
 * Trusts: the roots table. Every version there was verified when it was
 * stored (setup: self-signed v1; rotation: verifyRootUpdate), so here it is
 * only parsed. Devices never rely on this: they verify the chain themselves
 * from the fingerprint they pinned.
 */
import { dsse, parseRoot, type Root } from '@palisade/protocol'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

/** One stored root version. */
export interface OrgRoot {
  readonly version: number
  readonly root: Root
  /** The DSSE envelope JSON exactly as stored and served to devices. */
  readonly envelope: string
  /** The stored fingerprint of this version's payload (roots.fingerprint). */
  readonly fingerprint: string
}

// Parsed roots, keyed by the envelope text itself: the same text always
// parses to the same root, whichever database (or test) it came from.
const parsed = new Map<string, Root>()
const MAX_CACHED = 256

function parseStored(envelope: string): Root {
  let root = parsed.get(envelope)
  if (root === undefined) {
    root = parseRoot(dsse.parseEnvelope(envelope).payload)
    if (parsed.size >= MAX_CACHED) parsed.delete(parsed.keys().next().value!)
    parsed.set(envelope, root)
  }
  return root
}

/**
 * The newest root version of `org`, or undefined when the org has none
 * (it does not exist, or setup has not finished).
 *
 * @example
 * const current = await currentRoot(db, 'acme')
 * current?.root.thresholds.command // 2
 */
export async function currentRoot(db: Kysely<Database>, org: string): Promise<OrgRoot | undefined> {
  const row = await db
    .selectFrom('roots')
    .select(['version', 'envelope', 'fingerprint'])
    .where('org_id', '=', org)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (row === undefined) return undefined
  return Object.freeze({ version: row.version, envelope: row.envelope, fingerprint: row.fingerprint, root: parseStored(row.envelope) })
}

/**
 * The envelopes of every root version above `version`, oldest first (all of
 * them for version 0): what a device that trusts `version` must follow.
 *
 * @example
 * await rootEnvelopesAbove(db, 'acme', 1) // [v2Json, v3Json]
 */
export async function rootEnvelopesAbove(db: Kysely<Database>, org: string, version: number): Promise<string[]> {
  const rows = await db
    .selectFrom('roots')
    .select('envelope')
    .where('org_id', '=', org)
    .where('version', '>', version)
    .orderBy('version', 'asc')
    .execute()
  return rows.map((r) => r.envelope)
}

/**
 * The fingerprint of root v1: what admins hand to devices out of band, or
 * undefined when the org has no root.
 */
export async function anchorFingerprint(db: Kysely<Database>, org: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('roots')
    .select('fingerprint')
    .where('org_id', '=', org)
    .where('version', '=', 1)
    .executeTakeFirst()
  return row?.fingerprint
}

/** Admin names by key id across every root version of `org` (newest name wins), for display. */
export async function adminNames(db: Kysely<Database>, org: string): Promise<Map<string, string>> {
  const rows = await db.selectFrom('roots').select(['version', 'envelope']).where('org_id', '=', org).orderBy('version', 'asc').execute()
  const names = new Map<string, string>()
  for (const r of rows) for (const a of parseStored(r.envelope).admins) names.set(a.id, a.name)
  return names
}
