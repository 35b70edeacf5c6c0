/**
 * The directory routes of an org (docs/WIRE.md "Directory"): people,
 * groups, membership, and devices bound to people. Answers are read into
 * typed values here; nothing in them is a trust decision (the directory is
 * the server's bookkeeping, shown to admins and used to pick targets, which
 * admins then sign as explicit device ids).
 */
import { ID_RE } from '@palisade/protocol'
import { segment, type OrgSession } from './session.js'
import { array, integer, millis, object, optional, ShapeError, string } from './shape.js'

/** A person of the directory. */
export interface Person {
  readonly id: string
  readonly username: string
  readonly email: string
  readonly name: string
  readonly status: string
  /** OpenSSH public key lines, `type blob[ comment]`. */
  readonly sshKeys: readonly string[]
  readonly attributes: Readonly<Record<string, string>>
  readonly createdAt: number | null
  readonly updatedAt: number | null
  /** Bumped by every edit; an edit names the version it was made from. */
  readonly version: number
}

/** A person with their groups and devices (`GET …/people/:id`). */
export interface PersonDetail extends Person {
  readonly groups: readonly { readonly id: string; readonly name: string }[]
  readonly devices: readonly { readonly id: string; readonly hostname: string }[]
}

/** The fields of a new person. */
export interface NewPerson {
  readonly username: string
  readonly email: string
  readonly name: string
  readonly status?: string
  readonly sshKeys?: readonly string[]
  readonly attributes?: Readonly<Record<string, string>>
}

/** A change to a person: only the fields given are sent (sshKeys and attributes replace the stored ones). */
export type PersonChange = Partial<NewPerson>

/** A group of people (`user`) or devices (`device`). */
export interface Group {
  readonly id: string
  readonly kind: string
  readonly name: string
  readonly description: string
  readonly memberCount: number
  readonly createdAt: number | null
  readonly updatedAt: number | null
  readonly version: number
}

/** A member as a group lists it: a person's fields in a user group, a device's in a device group. */
export interface Member {
  readonly id: string
  readonly username?: string
  readonly name?: string
  readonly email?: string
  readonly status?: string
  readonly hostname?: string
  readonly os?: string | null
  readonly personId?: string | null
}

/** A group with one page of its members. */
export interface GroupDetail extends Group {
  readonly members: readonly Member[]
  readonly nextCursor: string | null
}

/** One page of a list; `nextCursor` is null on the last page. */
export interface Page<T> {
  readonly items: readonly T[]
  readonly nextCursor: string | null
}

/** Paging of a list request. */
export interface PageRequest {
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
}

/** The outcome of a membership change. */
export interface MemberChange {
  readonly groupId: string
  readonly added: number
  readonly removed: number
  readonly memberCount: number
}

const id = (v: unknown, w: string): string => string(v, w, ID_RE)
const text = (v: unknown, w: string, max = 1024): string => string(v, w, undefined, max)
const cursor = (v: unknown, w: string): string | null => optional(v, (x) => text(x, w, 1024)) ?? null
const version = (v: unknown, w: string): number => integer(v, w, 1, 2 ** 31)
const ref = (key: 'name' | 'hostname') => (x: unknown, w: string) => {
  const o = object(x, w)
  return { id: id(o['id'], `${w}.id`), [key]: text(o[key], `${w}.${key}`) }
}

function readAttributes(v: unknown, where: string): Record<string, string> {
  const o = object(v, where)
  const out: Record<string, string> = {}
  const keys = Object.keys(o)
  if (keys.length > 64) throw new ShapeError(`${where} has more than 64 attributes`)
  for (const k of keys) out[text(k, `${where} key`, 64)] = text(o[k], `${where}.${k}`, 1024)
  return out
}

/** Reads a person answer. */
export function readPerson(v: unknown, where = 'answer'): Person {
  const o = object(v, where)
  return {
    id: id(o['id'], `${where}.id`),
    username: text(o['username'], `${where}.username`, 64),
    email: text(o['email'], `${where}.email`, 320),
    name: text(o['name'], `${where}.name`, 800),
    status: text(o['status'], `${where}.status`, 32),
    sshKeys: array(o['sshKeys'], `${where}.sshKeys`, (x, w) => text(x, w, 16384), 32),
    attributes: readAttributes(o['attributes'], `${where}.attributes`),
    createdAt: millis(o['createdAt'], `${where}.createdAt`),
    updatedAt: millis(o['updatedAt'], `${where}.updatedAt`),
    version: version(o['version'], `${where}.version`),
  }
}

function readPersonDetail(v: unknown): PersonDetail {
  const o = object(v, 'answer')
  return {
    ...readPerson(v),
    groups: array(o['groups'], 'groups', ref('name')) as { id: string; name: string }[],
    devices: array(o['devices'], 'devices', ref('hostname')) as { id: string; hostname: string }[],
  }
}

/** Reads a group answer. */
export function readGroup(v: unknown, where = 'answer'): Group {
  const o = object(v, where)
  return {
    id: id(o['id'], `${where}.id`),
    kind: text(o['kind'], `${where}.kind`, 32),
    name: text(o['name'], `${where}.name`, 400),
    description: text(o['description'] ?? '', `${where}.description`, 4000),
    memberCount: integer(o['memberCount'], `${where}.memberCount`),
    createdAt: millis(o['createdAt'], `${where}.createdAt`),
    updatedAt: millis(o['updatedAt'], `${where}.updatedAt`),
    version: version(o['version'], `${where}.version`),
  }
}

function readMember(v: unknown, where: string): Member {
  const o = object(v, where)
  const opt = (k: string, max = 1024): Record<string, string> => {
    const x = optional(o[k], (y) => text(y, `${where}.${k}`, max))
    return x === undefined ? {} : { [k]: x }
  }
  const nullable = (k: 'os' | 'personId'): Record<string, string | null> =>
    o[k] === undefined ? {} : { [k]: optional(o[k], (y) => text(y, `${where}.${k}`)) ?? null }
  return { id: id(o['id'], `${where}.id`), ...opt('username', 64), ...opt('name'), ...opt('email', 320), ...opt('status', 32), ...opt('hostname'), ...nullable('os'), ...nullable('personId') }
}

function readMemberChange(v: unknown): MemberChange {
  const o = object(v, 'answer')
  return {
    groupId: id(o['groupId'], 'groupId'),
    added: integer(o['added'], 'added'),
    removed: integer(o['removed'], 'removed'),
    memberCount: integer(o['memberCount'], 'memberCount'),
  }
}

function pageQuery(page: PageRequest, filters: Readonly<Record<string, string | undefined>>): Record<string, string | number> {
  const q: Record<string, string | number> = {}
  for (const [k, v] of Object.entries(filters)) if (v !== undefined) q[k] = v
  if (page.limit !== undefined) q['limit'] = page.limit
  if (page.cursor !== undefined) q['cursor'] = page.cursor
  return q
}

/**
 * `POST /v1/orgs/:org/people`.
 *
 * @example
 * const p = await createPerson(s, { username: 'alice', email: 'alice@example.com', name: 'Alice' })
 */
export function createPerson(s: OrgSession, person: NewPerson): Promise<Person> {
  return s.api.post(s.path('/people'), person, (b) => readPerson(b))
}

/**
 * `GET /v1/orgs/:org/people` (one page).
 *
 * @example
 * const { items, nextCursor } = await listPeople(s, { q: 'ali', status: 'active' }, { limit: 50 })
 */
export function listPeople(
  s: OrgSession,
  filter: { readonly q?: string | undefined; readonly status?: string | undefined; readonly group?: string | undefined },
  page: PageRequest = {},
): Promise<Page<Person>> {
  return s.api.get(s.path('/people'), (b) => {
    const o = object(b, 'answer')
    return { items: array(o['people'], 'people', readPerson, 500), nextCursor: cursor(o['nextCursor'], 'nextCursor') }
  }, { query: pageQuery(page, { q: filter.q, status: filter.status, group: filter.group }) })
}

/**
 * `GET /v1/orgs/:org/people/:id`.
 *
 * @example
 * const p = await getPerson(s, 'person-0a1b…')
 */
export function getPerson(s: OrgSession, personId: string): Promise<PersonDetail> {
  return s.api.get(s.path(`/people/${segment(personId)}`), readPersonDetail)
}

/**
 * `PATCH /v1/orgs/:org/people/:id`: applied only if `fromVersion` is still current (else a 409 naming the version).
 *
 * @example
 * const p = await updatePerson(s, id, 3, { status: 'suspended' })
 */
export function updatePerson(s: OrgSession, personId: string, fromVersion: number, change: PersonChange): Promise<Person> {
  return s.api.patch(s.path(`/people/${segment(personId)}`), { version: fromVersion, ...change }, (b) => readPerson(b))
}

/**
 * `DELETE /v1/orgs/:org/people/:id` (with their memberships and device bindings).
 *
 * @example
 * const { memberships, devices } = await deletePerson(s, id)
 */
export function deletePerson(s: OrgSession, personId: string): Promise<{ id: string; memberships: number; devices: number }> {
  return s.api.delete(s.path(`/people/${segment(personId)}`), (b) => {
    const o = object(b, 'answer')
    return { id: id(o['id'], 'id'), memberships: integer(o['memberships'], 'memberships'), devices: integer(o['devices'], 'devices') }
  })
}

/**
 * `POST /v1/orgs/:org/groups`.
 *
 * @example
 * const g = await createGroup(s, { kind: 'user', name: 'engineering' })
 */
export function createGroup(s: OrgSession, group: { readonly kind: string; readonly name: string; readonly description?: string }): Promise<Group> {
  return s.api.post(s.path('/groups'), group, (b) => readGroup(b))
}

/**
 * `GET /v1/orgs/:org/groups` (one page).
 *
 * @example
 * const { items } = await listGroups(s, { kind: 'device' })
 */
export function listGroups(s: OrgSession, filter: { readonly kind?: string | undefined; readonly q?: string | undefined }, page: PageRequest = {}): Promise<Page<Group>> {
  return s.api.get(s.path('/groups'), (b) => {
    const o = object(b, 'answer')
    return { items: array(o['groups'], 'groups', readGroup, 500), nextCursor: cursor(o['nextCursor'], 'nextCursor') }
  }, { query: pageQuery(page, { kind: filter.kind, q: filter.q }) })
}

/**
 * `GET /v1/orgs/:org/groups/:id`: the group and one page of its members.
 *
 * @example
 * const g = await getGroup(s, id, { limit: 100 })
 */
export function getGroup(s: OrgSession, groupId: string, page: PageRequest = {}): Promise<GroupDetail> {
  return s.api.get(s.path(`/groups/${segment(groupId)}`), (b) => {
    const o = object(b, 'answer')
    return { ...readGroup(b), members: array(o['members'], 'members', readMember, 500), nextCursor: cursor(o['nextCursor'], 'nextCursor') }
  }, { query: pageQuery(page, {}) })
}

/**
 * `PATCH /v1/orgs/:org/groups/:id` under optimistic concurrency.
 *
 * @example
 * await updateGroup(s, id, g.version, { name: 'eng' })
 */
export function updateGroup(s: OrgSession, groupId: string, fromVersion: number, change: { readonly name?: string; readonly description?: string }): Promise<Group> {
  return s.api.patch(s.path(`/groups/${segment(groupId)}`), { version: fromVersion, ...change }, (b) => readGroup(b))
}

/**
 * `DELETE /v1/orgs/:org/groups/:id` (with its memberships).
 *
 * @example
 * const { memberships } = await deleteGroup(s, id)
 */
export function deleteGroup(s: OrgSession, groupId: string): Promise<{ id: string; memberships: number }> {
  return s.api.delete(s.path(`/groups/${segment(groupId)}`), (b) => {
    const o = object(b, 'answer')
    return { id: id(o['id'], 'id'), memberships: integer(o['memberships'], 'memberships') }
  })
}

/**
 * `PUT /v1/orgs/:org/groups/:id/members/:memberId` (idempotent).
 *
 * @example
 * const { added } = await addMember(s, groupId, personId)
 */
export function addMember(s: OrgSession, groupId: string, memberId: string): Promise<MemberChange> {
  return s.api.put(s.path(`/groups/${segment(groupId)}/members/${segment(memberId)}`), {}, readMemberChange)
}

/**
 * `DELETE /v1/orgs/:org/groups/:id/members/:memberId` (idempotent).
 *
 * @example
 * const { removed } = await removeMember(s, groupId, personId)
 */
export function removeMember(s: OrgSession, groupId: string, memberId: string): Promise<MemberChange> {
  return s.api.delete(s.path(`/groups/${segment(groupId)}/members/${segment(memberId)}`), readMemberChange)
}

/**
 * `POST /v1/orgs/:org/groups/:id/members`: many at once, all or nothing
 * (the first id that cannot be added is named and nothing changes).
 *
 * @example
 * await changeMembers(s, groupId, { add: [a, b] })
 */
export function changeMembers(s: OrgSession, groupId: string, change: { readonly add?: readonly string[]; readonly remove?: readonly string[] }): Promise<MemberChange> {
  return s.api.post(s.path(`/groups/${segment(groupId)}/members`), change, readMemberChange)
}

/**
 * `PUT /v1/orgs/:org/devices/:id/person`, or `DELETE` with `personId` null.
 *
 * @example
 * await bindDevice(s, deviceId, personId)
 */
export function bindDevice(s: OrgSession, deviceId: string, personId: string | null): Promise<{ deviceId: string; personId: string | null }> {
  const path = s.path(`/devices/${segment(deviceId)}/person`)
  const read = (b: unknown): { deviceId: string; personId: string | null } => {
    const o = object(b, 'answer')
    return { deviceId: id(o['deviceId'], 'deviceId'), personId: optional(o['personId'], (x) => id(x, 'personId')) ?? null }
  }
  return personId === null ? s.api.delete(path, read) : s.api.put(path, { personId }, read)
}
