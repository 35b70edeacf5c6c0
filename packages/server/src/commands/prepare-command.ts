/**
 * Turns an admin's command draft into what is stored and signed: the
 * payload parsed by protocol (the same parser devices run), checked
 * against the org's current root, its targets resolved to device ids of
 * this org, and its canonical bytes — the exact bytes admins sign.
 *
 * The server's checks here are a courtesy to admins (a command devices
 * would refuse is refused now, naming the field); they protect nothing.
 * Devices decide for themselves with verifyCommand.
 */
import {
  canonicalJsonBytes,
  formatCommandPayload,
  merkleTargets,
  parseCommandPayload,
  ProtocolError,
  equalBytes,
  type CommandPayload,
} from '@palisade/protocol'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError, type FieldError } from '../errors.js'
import type { OrgRoot } from './org-roots.js'

/** The body of POST /v1/orgs/:org/commands. */
export interface CommandDraft {
  readonly payload: unknown
  /** The device ids a Merkle target commitment covers (only for `merkle` targets). */
  readonly targetIds?: readonly string[]
}

/** A checked command, ready to store. */
export interface PreparedCommand {
  readonly payload: CommandPayload
  /** formatCommandPayload(payload): RFC 8785 bytes, what admins sign. */
  readonly bytes: Uint8Array
  /** The target device ids, sorted and unique. */
  readonly targetIds: readonly string[]
}

/**
 * Checks a draft for `org` under its current root at `nowSeconds`.
 * Throws a ProtocolError (its message names the payload field) when the
 * payload does not parse, PROTO_FROZEN when the root freezes commands, and
 * ServerError SRV_VALIDATION whose `errors` name each field otherwise.
 *
 * @example
 * const { payload, bytes, targetIds } = await prepareCommand(db, 'acme', current, { payload }, now)
 */
export async function prepareCommand(
  db: Kysely<Database>,
  org: string,
  current: OrgRoot,
  draft: CommandDraft,
  nowSeconds: number,
): Promise<PreparedCommand> {
  const payload = parseCommandPayload(canonicalJsonBytes(draft.payload))
  const root = current.root
  if (root.frozen) throw new ProtocolError('PROTO_FROZEN', `root v${root.version} freezes all commands`)
  const errors: FieldError[] = []
  if (payload.org !== org) errors.push({ path: '/body/payload/org', message: `must be "${org}", the org of this URL` })
  const window = payload.notAfter - payload.notBefore
  if (window > root.maxCommandValiditySeconds) {
    errors.push({
      path: '/body/payload/notAfter',
      message: `the validity window is ${window} s; root v${root.version} allows at most ${root.maxCommandValiditySeconds} s`,
    })
  }
  if (payload.notAfter <= nowSeconds) errors.push({ path: '/body/payload/notAfter', message: 'is in the past' })
  const targetIds = await resolveTargets(db, org, payload, draft.targetIds, errors)
  if (errors.length > 0) {
    const summary = errors.slice(0, 3).map((e) => `${e.path} ${e.message}`).join('; ')
    throw new ServerError('SRV_VALIDATION', `the command is invalid: ${summary}`, { errors })
  }
  return { payload, bytes: formatCommandPayload(payload), targetIds }
}

async function resolveTargets(
  db: Kysely<Database>,
  org: string,
  payload: CommandPayload,
  targetIds: readonly string[] | undefined,
  errors: FieldError[],
): Promise<string[]> {
  const targets = payload.targets
  if (targets.kind !== 'merkle' && targetIds !== undefined) {
    errors.push({ path: '/body/targetIds', message: 'is only for merkle targets' })
  }
  if (targets.kind === 'all') {
    const rows = await db.selectFrom('devices').select('id').where('org_id', '=', org).execute()
    return rows.map((r) => r.id).sort()
  }
  const ids = targets.kind === 'devices' ? [...targets.ids] : [...new Set(targetIds ?? [])].sort()
  if (targets.kind === 'merkle') {
    if (targetIds === undefined) {
      errors.push({ path: '/body/targetIds', message: 'is required for merkle targets' })
      return []
    }
    const committed = ids.length > 0 ? merkleTargets(ids) : undefined
    if (committed?.kind !== 'merkle' || committed.count !== targets.count || !equalBytes(committed.root, targets.root)) {
      errors.push({ path: '/body/targetIds', message: 'do not match the payload\'s merkle commitment (root and count)' })
    }
  }
  const known = await existingDevices(db, org, ids)
  const where = targets.kind === 'devices' ? '/body/payload/targets/ids' : '/body/targetIds'
  const original = targets.kind === 'devices' ? ids : [...(targetIds ?? [])]
  for (const [i, id] of original.entries()) {
    if (!known.has(id)) errors.push({ path: `${where}/${i}`, message: `no device ${id} in this org` })
  }
  return ids
}

/** The subset of `ids` that are devices of `org` (queried in chunks: SQL parameter limits). */
async function existingDevices(db: Kysely<Database>, org: string, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>()
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('devices').select('id').where('org_id', '=', org).where('id', 'in', ids.slice(i, i + 500)).execute()
    for (const r of rows) found.add(r.id)
  }
  return found
}
