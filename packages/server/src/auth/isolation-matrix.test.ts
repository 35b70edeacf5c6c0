/**
 * The isolation matrix (issue #5): every route the server registers, called
 * as every kind of principal, against the outcome this file expects.
 *
 * The routes are not listed by hand: they come from the app itself (the
 * route registry fills as routes register), so a route added later without
 * a row in ROUTE_TABLE fails this test. The expected outcome per principal
 * is derived from ROLE_GRANTS / SCOPE_GRANTS below, a second, independent
 * statement of the policy in auth/access.ts: if either drifts, this fails.
 *
 * Two orgs, alpha and bravo, each with a REAL object of every kind that a
 * URL names by id (people, groups, members, devices, commands, admins,
 * sessions, API keys, invitations).
 *
 * Pass 1 — every route × every principal, on alpha's URLs with alpha's ids
 * (and, for a caller holding roles in both orgs, on bravo's too). Outcomes:
 * 401 / 403 / 404 "no such organisation" must come from the access check
 * (it marks its answers `x-palisade-refused-by: access`); "allowed" means
 * the access check let the call through (no such mark) and no 5xx, even if
 * the handler then refused the empty body or found nothing.
 *
 * Pass 2 (run first, before pass 1 changes anything) — cross-org ids: each
 * org's owner session and admin key call their OWN org's URLs with the
 * OTHER org's real ids, and must get the handler's 404 for every route,
 * with nothing of the other org changed (its rows compared before and after).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { toBase64 } from '@palisade/protocol'
import { addOrg, createTestOrg, draftCommand, enrollDevice, type TestOrg } from '../commands/org.test.helper.js'
import { registeredRoutes, type RegisteredRoute } from '../openapi/route-registry.js'
import { createAdmin, createKey, createSession } from './principals.test.helper.js'

/** What the author of this test expects a route to require. */
type Expect = 'public' | 'device' | 'session' | 'session-before-mfa' | Permission
type Permission = 'read' | 'audit:read' | 'devices:write' | 'commands:draft' | 'commands:sign' | 'directory:write' | 'alerts:write' | 'org:admin'

/** Every route of the server → what it requires. Add a row for every new route. */
const ROUTE_TABLE: Readonly<Record<string, Expect>> = {
  'GET /healthz': 'public',
  'GET /v1/openapi.json': 'public',
  'POST /v1/setup/log-key': 'public',
  'POST /v1/setup': 'public',
  'POST /v1/enroll': 'public',
  'GET /v1/agent': 'device',
  'GET /v1/me': 'session-before-mfa',
  'GET /v1/orgs/:org/roots': 'read',
  'POST /v1/orgs/:org/roots': 'commands:sign',
  'GET /v1/orgs/:org/log/checkpoint': 'read',
  'GET /v1/orgs/:org/log/checkpoints': 'read',
  'GET /v1/orgs/:org/log/entries': 'read',
  'GET /v1/orgs/:org/log/proof/inclusion': 'read',
  'GET /v1/orgs/:org/log/proof/consistency': 'read',
  'POST /v1/orgs/:org/log/publish': 'commands:sign',
  'POST /v1/orgs/:org/enrollment-tokens': 'devices:write',
  'GET /v1/orgs/:org/devices': 'read',
  'GET /v1/orgs/:org/devices/:id': 'read',
  'POST /v1/orgs/:org/commands': 'commands:draft',
  'GET /v1/orgs/:org/commands': 'read',
  'GET /v1/orgs/:org/commands/:id': 'read',
  'POST /v1/orgs/:org/commands/:id/signatures': 'commands:sign',
  'GET /v1/orgs/:org/alerts': 'read',
  'GET /v1/orgs/:org/audit': 'audit:read',
  'GET /v1/orgs/:org/events': 'read',
  // The console's static files (console/console-routes.ts): the app shell, no data.
  'GET /': 'public',
  'GET /login': 'public',
  'GET /setup': 'public',
  'GET /account': 'public',
  'GET /account/*': 'public',
  'GET /orgs': 'public',
  'GET /orgs/*': 'public',
  'GET /assets/:file': 'public',
  // Console accounts (accounts/*, api-keys/*).
  'POST /v1/auth/login': 'public',
  'POST /v1/auth/logout': 'session-before-mfa',
  'POST /v1/me/mfa/totp': 'session-before-mfa',
  'POST /v1/me/mfa/totp/confirm': 'session-before-mfa',
  'DELETE /v1/me/mfa': 'session',
  'POST /v1/me/mfa/recovery-codes': 'session',
  'POST /v1/me/password': 'session',
  'GET /v1/me/invitations': 'session',
  'POST /v1/me/invitations/:id/accept': 'session',
  'POST /v1/me/invitations/:id/decline': 'session',
  'GET /v1/me/sessions': 'session',
  'DELETE /v1/me/sessions/:id': 'session',
  'GET /v1/orgs/:org/sessions': 'org:admin',
  'DELETE /v1/orgs/:org/sessions/:id': 'org:admin',
  'GET /v1/orgs/:org/admins': 'org:admin',
  'POST /v1/orgs/:org/admins': 'org:admin',
  'PATCH /v1/orgs/:org/admins/:id': 'org:admin',
  'DELETE /v1/orgs/:org/admins/:id': 'org:admin',
  'GET /v1/orgs/:org/settings': 'read',
  'PATCH /v1/orgs/:org/settings': 'org:admin',
  'POST /v1/orgs/:org/api-keys': 'org:admin',
  'GET /v1/orgs/:org/api-keys': 'org:admin',
  'DELETE /v1/orgs/:org/api-keys/:id': 'org:admin',
  // The directory (directory/*).
  'POST /v1/orgs/:org/people': 'directory:write',
  'GET /v1/orgs/:org/people': 'read',
  'GET /v1/orgs/:org/people/:id': 'read',
  'PATCH /v1/orgs/:org/people/:id': 'directory:write',
  'DELETE /v1/orgs/:org/people/:id': 'directory:write',
  'POST /v1/orgs/:org/groups': 'directory:write',
  'GET /v1/orgs/:org/groups': 'read',
  'GET /v1/orgs/:org/groups/:id': 'read',
  'PATCH /v1/orgs/:org/groups/:id': 'directory:write',
  'DELETE /v1/orgs/:org/groups/:id': 'directory:write',
  'PUT /v1/orgs/:org/groups/:id/members/:memberId': 'directory:write',
  'DELETE /v1/orgs/:org/groups/:id/members/:memberId': 'directory:write',
  'POST /v1/orgs/:org/groups/:id/members': 'directory:write',
  'PUT /v1/orgs/:org/devices/:id/person': 'devices:write',
  'DELETE /v1/orgs/:org/devices/:id/person': 'devices:write',
  // The incident kit (incident/*).
  'POST /v1/orgs/:org/incident/rotate-credentials': 'org:admin',
}

const ALL: readonly Permission[] = ['read', 'audit:read', 'devices:write', 'commands:draft', 'commands:sign', 'directory:write', 'alerts:write', 'org:admin']
const ROLE_GRANTS: Readonly<Record<string, readonly Permission[]>> = {
  owner: ALL,
  admin: ['read', 'audit:read', 'devices:write', 'commands:draft', 'commands:sign', 'directory:write', 'alerts:write'],
  helpdesk: ['read', 'commands:draft'],
  'read-only': ['read'],
}
const SCOPE_GRANTS: Readonly<Record<string, readonly Permission[]>> = {
  read: ['read'],
  devices: ['read', 'devices:write'],
  commands: ['read', 'commands:draft', 'commands:sign'],
  directory: ['read', 'directory:write'],
  admin: ALL,
}

/** A way of calling: how to make its headers, and what it is. */
interface Caller {
  readonly name: string
  readonly kind: 'none' | 'dead-session' | 'device' | 'session' | 'pre-mfa-session' | 'key' | 'other-org'
  /** Role (session) or scope (key) per org the caller belongs to. */
  readonly grants?: Readonly<Record<string, string>>
  /** True when it presents an API key. */
  readonly viaKey?: boolean
  headers(write: boolean): Promise<Record<string, string>>
}

type Outcome = 401 | 403 | 404 | 'allowed'

function expected(e: Expect, c: Caller, org: string): Outcome {
  if (e === 'public' || e === 'device') return 'allowed'
  if (c.kind === 'none' || c.kind === 'dead-session' || c.kind === 'device') return 401
  if (e === 'session' || e === 'session-before-mfa') {
    if (c.viaKey === true) return 403
    if (c.kind === 'pre-mfa-session') return e === 'session-before-mfa' ? 'allowed' : 403
    return 'allowed'
  }
  if (c.kind === 'pre-mfa-session') return 403
  const grant = c.grants?.[org]
  if (c.kind === 'other-org' || grant === undefined) return 404
  const grants = c.viaKey === true ? SCOPE_GRANTS[grant] : ROLE_GRANTS[grant]
  return grants!.includes(e) ? 'allowed' : 403
}

const REFUSED_BY = 'x-palisade-refused-by'

/** What happened: a refusal by the access check (marked), or the handler's answer. */
function outcomeOf(res: Answer): Outcome | 'other' {
  if (res.statusCode === 0 || res.statusCode >= 500) return 'other'
  if (res.refusedBy !== 'access') return 'allowed'
  if (res.statusCode === 401 || res.statusCode === 403) return res.statusCode
  if (res.statusCode === 404 && res.body.includes('no such organisation')) return 404
  return 'other'
}

interface Answer {
  readonly statusCode: number
  readonly body: string
  readonly hung: boolean
  readonly refusedBy: string | null
}

/**
 * One request; resolves with the status and, unless it is an event stream
 * (which never ends), the body. A request that gets no answer within 10 s
 * counts as hung.
 */
async function call(base: string, method: string, url: string, headers: Record<string, string>, body: unknown = {}): Promise<Answer> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), 10_000)
  try {
    const withBody = ['POST', 'PUT', 'PATCH'].includes(method)
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { ...headers, ...(withBody ? { 'content-type': 'application/json' } : {}) },
      ...(withBody ? { body: JSON.stringify(body) } : {}),
      signal: controller.signal,
    })
    const stream = (res.headers.get('content-type') ?? '').includes('text/event-stream')
    const text = stream ? '' : await res.text()
    if (stream) controller.abort()
    return { statusCode: res.status, body: text, hung: false, refusedBy: res.headers.get(REFUSED_BY) }
  } catch (e) {
    if (controller.signal.aborted) return { statusCode: 0, body: '', hung: true, refusedBy: null }
    throw e
  } finally {
    clearTimeout(timer)
  }
}

/** The URL parameter names → the kind of object they name, by the path segment before them. */
function idKind(url: string, name: string): string {
  if (name === 'memberId') return 'members'
  const m = new RegExp(`/([a-z-]+)/:${name}(/|$)`).exec(url)
  return m?.[1] ?? 'unknown'
}

/** Fills `route.url` for `org` with the ids of `ids`. */
function fill(url: string, org: string, ids: Readonly<Record<string, string>>): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => (name === 'org' ? org : ids[idKind(url, name)] ?? 'nonexistent-1'))
}

/** Bodies that get past validation, so that pass 2 reaches the handler's lookup. */
const PASS2_BODIES: Readonly<Record<string, unknown>> = {
  'PATCH /v1/orgs/:org/people/:id': { version: 1, name: 'Changed' },
  'PATCH /v1/orgs/:org/groups/:id': { version: 1, name: 'Changed' },
  'PATCH /v1/orgs/:org/admins/:id': { version: 1, role: 'admin' },
  'POST /v1/orgs/:org/commands/:id/signatures': { keyid: 'k', sig: 'AAAA' },
}

describe('the isolation matrix', () => {
  let a: TestOrg
  let b: TestOrg
  let routes: readonly RegisteredRoute[]
  let base = ''
  const callers: Caller[] = []
  /** Real ids of each org, by object kind (URL segment). */
  const ids: Record<string, Record<string, string>> = {}
  /** Per org: its owner session and its admin key (allowed everywhere in it). */
  const homeCallers: Record<string, Caller[]> = {}

  // The suite's own cleanup list: node:test's after() called inside before() would close the app too early.
  const cleanups: (() => unknown)[] = []
  after(async () => {
    for (const fn of cleanups.reverse()) await fn()
  })

  /** Every row of `org`, to compare before and after calls that must change nothing of it. */
  async function snapshot(org: string): Promise<string> {
    const { db } = a
    const adminIds = (await db.selectFrom('admin_roles').select('admin_id').where('org_id', '=', org).execute()).map((r) => r.admin_id)
    const commandIds = (await db.selectFrom('commands').select('id').where('org_id', '=', org).execute()).map((r) => r.id)
    const byOrg = ['people', 'groups', 'group_members', 'devices', 'commands', 'api_keys', 'enrollment_tokens', 'alerts', 'admin_invitations', 'admin_roles', 'audit_events', 'roots', 'log_entries'] as const
    const out: Record<string, unknown> = {}
    for (const table of byOrg) out[table] = await db.selectFrom(table).selectAll().where('org_id', '=', org).execute()
    out['orgs'] = await db.selectFrom('orgs').selectAll().where('id', '=', org).execute()
    out['admins'] = adminIds.length === 0 ? [] : await db.selectFrom('admins').selectAll().where('id', 'in', adminIds).orderBy('id').execute()
    out['sessions'] = adminIds.length === 0 ? [] : await db.selectFrom('sessions').selectAll().where('admin_id', 'in', adminIds).orderBy('id').execute()
    out['deliveries'] = commandIds.length === 0 ? [] : await db.selectFrom('deliveries').selectAll().where('command_id', 'in', commandIds).execute()
    out['command_signatures'] = commandIds.length === 0 ? [] : await db.selectFrom('command_signatures').selectAll().where('command_id', 'in', commandIds).execute()
    return JSON.stringify(out, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'bigint' ? v.toString() : v))
  }

  /** Real objects of every kind in `o`. */
  async function objectsOf(o: TestOrg): Promise<Record<string, string>> {
    const post = async (url: string, body: unknown) => {
      const r = await o.app.inject({ method: 'POST', url: `/v1/orgs/${o.org}${url}`, headers: o.auth, payload: body as object })
      assert.ok(r.statusCode < 300, `${url}: ${r.body}`)
      return r.json() as Record<string, any>
    }
    const person = await post('/people', { username: `${o.org}-person`, email: `${o.org}-person@example.com`, name: `${o.org} person` })
    const group = await post('/groups', { kind: 'user', name: `${o.org} group` })
    const target = await createAdmin(o.db, `${o.org}-target`, { [o.org]: 'read-only' })
    const session = await createSession(o.db, target.id)
    const key = await createKey(o.db, o.org, ['read'])
    const invitation = await post('/admins', { username: `${o.org}-invitee`, role: 'admin' })
    return {
      people: person['id'],
      groups: group['id'],
      members: person['id'],
      devices: (await enrollDevice(o)).id,
      commands: (await draftCommand(o)).id,
      admins: target.id,
      sessions: session.id,
      'api-keys': key.id,
      invitations: invitation['invitation']['id'],
    }
  }

  before(async () => {
    // Over a real socket: some routes stream (server-sent events) and would never end under inject().
    a = await createTestOrg({ after: (fn) => void cleanups.push(fn) }, { org: 'alpha', listen: true })
    const address = a.app.server.address()
    if (typeof address !== 'object' || address === null) throw new Error('not listening')
    base = `http://127.0.0.1:${address.port}`
    b = await addOrg(a, 'bravo')
    routes = registeredRoutes(a.app)
    ids['alpha'] = await objectsOf(a)
    ids['bravo'] = await objectsOf(b)
    const { db } = a
    const session = (adminId: string, options: Parameters<typeof createSession>[2] = {}) => async (write: boolean) => {
      // A fresh session per call: a route that signs out must not spoil later rows.
      const s = await createSession(db, adminId, options)
      return write ? { ...s.write } : { ...s.read }
    }
    const fixed = (h: Record<string, string>) => async () => h
    const device = await enrollDevice(a)
    const owner = await createAdmin(db, 'alpha-owner', { alpha: 'owner' })
    callers.push({ name: 'no credentials', kind: 'none', headers: fixed({}) })
    callers.push({ name: 'expired session', kind: 'dead-session', headers: session(owner.id, { now: Date.now() - 13 * 3_600_000, lastSeenAt: Date.now() - 60_000, expiresAt: Date.now() - 1 }) })
    callers.push({ name: 'idle session', kind: 'dead-session', headers: session(owner.id, { lastSeenAt: Date.now() - 31 * 60_000 }) })
    callers.push({ name: 'revoked session', kind: 'dead-session', headers: session(owner.id, { revokedAt: Date.now() - 1 }) })
    callers.push({ name: 'device id as bearer', kind: 'device', headers: fixed({ authorization: `Bearer ${device.id}` }) })
    callers.push({ name: 'device key as bearer', kind: 'device', headers: fixed({ authorization: `Bearer ${toBase64(device.key.pub)}` }) })
    for (const role of Object.keys(ROLE_GRANTS)) {
      const admin = await createAdmin(db, `alpha-as-${role}`, { alpha: role as never })
      callers.push({ name: `session ${role}`, kind: 'session', grants: { alpha: role }, headers: session(admin.id) })
    }
    callers.push({ name: 'session owner before MFA', kind: 'pre-mfa-session', headers: session(owner.id, { mfa: false }) })
    for (const scope of Object.keys(SCOPE_GRANTS)) {
      // A fresh key per call, like sessions: a route that revokes every key
      // of the org (incident rotate-credentials) must not spoil later rows.
      const key = async () => ({ ...(await createKey(db, 'alpha', [scope])).auth })
      callers.push({ name: `key ${scope}`, kind: 'key', grants: { alpha: scope }, viaKey: true, headers: key })
    }
    const dual = await createAdmin(db, 'alpha-admin-bravo-reader', { alpha: 'admin', bravo: 'read-only' })
    callers.push({ name: 'session admin in alpha, read-only in bravo', kind: 'session', grants: { alpha: 'admin', bravo: 'read-only' }, headers: session(dual.id) })
    const bravoOwner = await createAdmin(db, 'bravo-owner', { bravo: 'owner' })
    callers.push({ name: 'bravo session owner', kind: 'other-org', headers: session(bravoOwner.id) })
    callers.push({ name: 'bravo key admin', kind: 'other-org', viaKey: true, headers: async () => ({ ...(await createKey(db, 'bravo', ['admin'])).auth }) })
    homeCallers['alpha'] = [
      { name: 'alpha session owner', kind: 'session', grants: { alpha: 'owner' }, headers: session(owner.id) },
      { name: 'alpha key admin', kind: 'key', viaKey: true, grants: { alpha: 'admin' }, headers: async () => ({ ...(await createKey(db, 'alpha', ['admin'])).auth }) },
    ]
    homeCallers['bravo'] = [
      { name: 'bravo session owner', kind: 'session', grants: { bravo: 'owner' }, headers: session(bravoOwner.id) },
      { name: 'bravo key admin', kind: 'key', viaKey: true, grants: { bravo: 'admin' }, headers: async () => ({ ...(await createKey(db, 'bravo', ['admin'])).auth }) },
    ]
  })

  it('has a row for every registered route (add missing ones to ROUTE_TABLE)', () => {
    const missing = routes.map((r) => `${r.method} ${r.url}`).filter((k) => !(k in ROUTE_TABLE))
    assert.deepEqual(missing, [], `routes without a row in ROUTE_TABLE of auth/isolation-matrix.test.ts: ${missing.join(', ')}; add each with the access you expect`)
  })

  it("answers 404 from the handler, changing nothing, when an org's own URLs name the other org's real objects", async () => {
    const failures: string[] = []
    const withIds = routes.filter((r) => /:(id|memberId)\b/.test(r.url) && ROUTE_TABLE[`${r.method} ${r.url}`] !== undefined)
    assert.ok(withIds.length >= 15, `only ${withIds.length} routes name an object`)
    for (const [home, foreign] of [['alpha', 'bravo'], ['bravo', 'alpha']] as const) {
      const before = await snapshot(foreign)
      for (const route of withIds) {
        const key = `${route.method} ${route.url}`
        const expect = ROUTE_TABLE[key]!
        const url = fill(route.url, home, ids[foreign]!)
        for (const caller of homeCallers[home]!) {
          // A session route with an id (my sessions, my invitations) is for sessions only.
          if ((expect === 'session' || expect === 'session-before-mfa') && caller.viaKey === true) continue
          const body = key === 'PUT /v1/orgs/:org/devices/:id/person' ? { personId: ids[foreign]!['people'] } : PASS2_BODIES[key] ?? {}
          const res = await call(base, route.method, url, await caller.headers(route.method !== 'GET'), body)
          const where = `${key} as ${caller.name} with ${foreign}'s ids`
          if (res.statusCode !== 404 || res.refusedBy !== null) failures.push(`${where}: expected the handler's 404, got ${res.statusCode} (${res.refusedBy ?? 'handler'}) ${res.body.slice(0, 160)}`)
          if (res.body.includes(foreign)) failures.push(`${where}: the answer mentions ${foreign}`)
        }
      }
      assert.equal(await snapshot(foreign), before, `${foreign} changed after ${home}'s callers named its objects`)
    }
    // One's own object joined to the other org's: a group member, a device's person.
    const before = await snapshot('bravo')
    for (const caller of homeCallers['alpha']!) {
      const member = await call(base, 'PUT', `/v1/orgs/alpha/groups/${ids['alpha']!['groups']}/members/${ids['bravo']!['people']}`, await caller.headers(true))
      if (member.statusCode !== 404) failures.push(`PUT alpha group member = bravo person as ${caller.name}: ${member.statusCode} ${member.body.slice(0, 160)}`)
      const bind = await call(base, 'PUT', `/v1/orgs/alpha/devices/${ids['alpha']!['devices']}/person`, await caller.headers(true), { personId: ids['bravo']!['people'] })
      if (bind.statusCode !== 404) failures.push(`PUT alpha device person = bravo person as ${caller.name}: ${bind.statusCode} ${bind.body.slice(0, 160)}`)
    }
    assert.equal(await snapshot('bravo'), before)
    assert.deepEqual(failures, [])
  })

  it('answers every route as every principal as the table says, refusals from the access check only, never 5xx, never showing org A to org B', async () => {
    const failures: string[] = []
    for (const route of routes) {
      const expect = ROUTE_TABLE[`${route.method} ${route.url}`]
      if (expect === undefined) continue
      const write = !['GET', 'HEAD'].includes(route.method)
      for (const caller of callers) {
        const orgs = caller.grants?.['bravo'] !== undefined && route.url.includes(':org') ? ['alpha', 'bravo'] : ['alpha']
        for (const org of orgs) {
          const url = fill(route.url, org, ids[org]!)
          const headers = await caller.headers(write)
          const res = await call(base, route.method, url, headers)
          const got = res.hung ? 'hung' : outcomeOf(res)
          const want = expected(expect, caller, org)
          const where = `${route.method} ${route.url} in ${org} as ${caller.name}`
          if (got !== want) failures.push(`${where}: expected ${want}, got ${res.statusCode} (${res.refusedBy ?? 'handler'}) ${res.body.slice(0, 160)}`)
          if (res.statusCode >= 500) failures.push(`${where}: ${res.statusCode}`)
          if (caller.kind === 'other-org' && res.body.includes('alpha')) failures.push(`${where}: the answer mentions org alpha: ${res.body.slice(0, 160)}`)
        }
      }
    }
    assert.deepEqual(failures, [])
  })
})
