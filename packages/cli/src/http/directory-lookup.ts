/**
 * People and groups named the way admins name them: by id, or by username
 * / group name. An id is tried first (one GET); when the server has no
 * such id, the name is looked up with the list route's `q` filter and an
 * exact match (ignoring case and Unicode spelling, as the server's
 * uniqueness does). Names are unique per org (group names per kind), so a
 * match is never a guess; two groups of different kinds sharing a name are
 * reported, not picked from.
 */
import { ID_RE } from '@palisade/protocol'
import { USERNAME_RE } from '../args/directory-options.js'
import { CliError, isCliError } from '../errors.js'
import { quote } from '../validate.js'
import { getGroup, getPerson, listGroups, listPeople, type Group, type Page, type PageRequest, type PersonDetail } from './directory-api.js'
import type { OrgSession } from './session.js'

// A q filter matches substrings of usernames, emails and names: follow a few pages, not the whole org.
const MAX_PAGES = 20

const key = (s: string): string => s.normalize('NFC').toLowerCase()

function notFound(s: OrgSession, what: string): CliError<'CLI_SERVER_REFUSED'> {
  return new CliError('CLI_SERVER_REFUSED', `the server at ${s.server} has no ${what} in org ${quote(s.org)}`, {
    server: s.server,
    hint: 'check the spelling; the list commands show ids and names',
    details: { status: 404, serverCode: 'SRV_NOT_FOUND' },
  })
}

/** `get(id)`, or undefined on a 404 (an unknown org is 404 too: the list that follows reports it). */
async function byId<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get()
  } catch (e) {
    if (isCliError(e, 'CLI_SERVER_REFUSED') && e.details?.['status'] === 404) return undefined
    throw e
  }
}

async function findAll<T>(list: (page: PageRequest) => Promise<Page<T>>, match: (x: T) => boolean): Promise<T[]> {
  const found: T[] = []
  let cursor: string | undefined
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await list({ limit: 500, ...(cursor === undefined ? {} : { cursor }) })
    found.push(...page.items.filter(match))
    if (page.nextCursor === null) break
    cursor = page.nextCursor
  }
  return found
}

/**
 * The person with id or username `ref`, with their groups and devices.
 *
 * @example
 * const alice = await resolvePerson(s, 'alice')
 */
export async function resolvePerson(s: OrgSession, ref: string): Promise<PersonDetail> {
  if (ID_RE.test(ref)) {
    const p = await byId(() => getPerson(s, ref))
    if (p !== undefined) return p
  }
  if (USERNAME_RE.test(ref)) {
    const [hit] = await findAll((page) => listPeople(s, { q: ref }, page), (p) => key(p.username) === key(ref))
    if (hit !== undefined) return getPerson(s, hit.id)
  }
  throw notFound(s, `person with id or username ${quote(ref)}`)
}

/**
 * The group with id or name `ref` (of `kind` when given).
 *
 * @example
 * const g = await resolveGroup(s, 'engineering', 'user')
 */
export async function resolveGroup(s: OrgSession, ref: string, kind?: string): Promise<Group> {
  if (ID_RE.test(ref)) {
    const g = await byId(() => getGroup(s, ref, { limit: 1 }))
    if (g !== undefined && (kind === undefined || g.kind === kind)) return g
  }
  const hits = await findAll((page) => listGroups(s, { kind, q: ref }, page), (g) => key(g.name) === key(ref))
  if (hits.length > 1) {
    throw new CliError('CLI_ARG_INVALID', `${hits.length} groups are named ${quote(ref)}: ${hits.map((g) => `${g.id} (${g.kind})`).join(', ')}`, {
      hint: 'give the group id, or --kind user|device',
    })
  }
  if (hits[0] !== undefined) return hits[0]
  throw notFound(s, `${kind === undefined ? '' : `${kind} `}group with id or name ${quote(ref)}`)
}
