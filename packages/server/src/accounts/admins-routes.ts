/**
 * The admins of an org (permission org:admin; WIRE.md "Console accounts"):
 *
 * - GET    /v1/orgs/:org/admins
 * - POST   /v1/orgs/:org/admins `{ username, email, name, password, role }`
 *   creates an account and grants it `role` here; `{ username | email,
 *   role }` alone invites an existing account (an MSP operator who serves
 *   several orgs keeps one login): 202 with the invitation, the same answer
 *   whether or not such an account exists (invitations.ts); the account
 *   holder accepts it from their own session;
 * - PATCH  /v1/orgs/:org/admins/:id `{ version, role?, status? }` with
 *   optimistic concurrency on the account's version;
 * - DELETE /v1/orgs/:org/admins/:id removes the role here (the account
 *   stays for its other orgs; with none left, its sessions are revoked).
 *
 * An account without a role in the org is "not found" here. The org's last
 * active owner can never be removed, demoted or disabled (409
 * SRV_LAST_OWNER), also under concurrency: changes take the org's row lock
 * first (lock-org.ts). Changing an account's status affects every org it
 * serves, so it is refused here when the account also serves another.
 *
 * A new account whose username or email is taken gets one answer for both
 * (409 SRV_DUPLICATE naming both fields): accounts are global, so that a
 * name is taken is the one thing an org admin can learn (WIRE.md says why
 * this is accepted); which field, and anything about the account, is not.
 */
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { ROLES, orgAccess, type Role } from '../auth/access.js'
import { creatorOf, orgOf } from '../auth/request-principal.js'
import type { Database } from '../db/schema.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { emailProblem } from '../directory/person-fields.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { ORG_ID_SCHEMA } from '../log/route-schemas.js'
import type { AccountsDeps } from './accounts-deps.js'
import { ADMIN_USERNAME_RE, adminFieldErrors } from './admin-fields.js'
import { grantRole, insertAdmin } from './create-admin.js'
import { revokeSessions } from './create-session.js'
import { invite } from './invitations.js'
import { lockOrg } from './lock-org.js'
import { hashPassword } from './password-hash.js'

const STATUSES = ['active', 'disabled'] as const
const ID = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }
const PARAMS = objectSchema({ org: ORG_ID_SCHEMA, id: ID }, ['org', 'id'])
const ORG_PARAMS = objectSchema({ org: ORG_ID_SCHEMA }, ['org'])
const ROLE = { type: 'string', enum: [...ROLES] }
const ADMIN = objectSchema(
  {
    id: { type: 'string' },
    username: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    status: { type: 'string' },
    mfaEnabled: { type: 'boolean' },
    createdAt: { type: 'integer' },
    version: { type: 'integer' },
  },
  ['id', 'username', 'email', 'name', 'role', 'status', 'mfaEnabled', 'createdAt', 'version'],
)

/** Registers the org admins routes. */
export function adminsRoutes(app: FastifyInstance, deps: AccountsDeps): void {
  const { db } = deps

  app.get(
    '/v1/orgs/:org/admins',
    { config: { access: orgAccess('org:admin') }, schema: { params: ORG_PARAMS, querystring: NO_QUERY, response: { 200: objectSchema({ admins: { type: 'array', items: ADMIN } }, ['admins']) } } },
    async (request) => ({ admins: await listAdmins(db, orgOf(request)) }),
  )

  app.post(
    '/v1/orgs/:org/admins',
    {
      config: { access: orgAccess('org:admin'), audit: { action: 'admin.add', target: 'admin' } },
      schema: {
        params: ORG_PARAMS,
        querystring: NO_QUERY,
        body: objectSchema(
          {
            username: { type: 'string', minLength: 1, maxLength: 64 },
            email: { type: 'string', minLength: 1, maxLength: 254 },
            name: { type: 'string', minLength: 1, maxLength: 800 },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
            role: ROLE,
          },
          ['role'],
        ),
        response: {
          201: ADMIN,
          202: objectSchema(
            { invitation: objectSchema({ id: { type: 'string' }, identifier: { type: 'string' }, role: { type: 'string' }, expiresAt: { type: 'integer' } }, ['id', 'identifier', 'role', 'expiresAt']) },
            ['invitation'],
          ),
        },
      },
    },
    async (request, reply) => {
      const org = orgOf(request)
      const body = request.body as { username?: string; email?: string; name?: string; password?: string; role: Role }
      const t = deps.now()
      if (body.password === undefined) {
        const invitation = await withAuditedTransaction(db, request, async (trx) => {
          const v = await invite(trx, org, invitationIdentifier(body), body.role, creatorOf(request), t)
          request.auditTarget = v.id
          request.auditDetails = { invitation: true, identifier: v.identifier, role: body.role }
          return v
        }, { statusCode: 202, at: t })
        return reply.code(202).send({ invitation })
      }
      const fields = { username: body.username ?? '', email: body.email ?? '', name: body.name ?? '', password: body.password }
      const errors = adminFieldErrors(fields, '/body')
      if (errors.length > 0) throw new ServerError('SRV_VALIDATION', `invalid account: ${errors[0]!.path.slice(6)} ${errors[0]!.message}`, { errors })
      const passwordHash = await hashPassword(body.password)
      const adminId = await withAuditedTransaction(db, request, async (trx) => {
        const id = await insertAdmin(trx, { username: fields.username, email: fields.email, name: fields.name, passwordHash }, t, '/body').catch((e: unknown) => {
          throw e instanceof ServerError && e.code === 'SRV_DUPLICATE' ? takenAnswer(e) : e
        })
        await grantRole(trx, id, org, body.role, t)
        request.auditTarget = id
        request.auditDetails = { role: body.role, created: true, by: creatorOf(request) }
        return id
      }, { statusCode: 201, at: t })
      const view = (await listAdmins(db, org, adminId))[0]!
      return reply.code(201).send(view)
    },
  )

  app.patch(
    '/v1/orgs/:org/admins/:id',
    {
      config: { access: orgAccess('org:admin'), audit: { action: 'admin.update', target: 'admin' } },
      schema: {
        params: PARAMS,
        querystring: NO_QUERY,
        body: objectSchema({ role: ROLE, status: { type: 'string', enum: [...STATUSES] }, version: { type: 'integer', minimum: 1 } }, ['version']),
        response: { 200: ADMIN },
      },
    },
    async (request) => {
      const org = orgOf(request)
      const { id } = request.params as { id: string }
      const body = request.body as { role?: Role; status?: (typeof STATUSES)[number]; version: number }
      const t = deps.now()
      request.auditDetails = { ...(body.role === undefined ? {} : { role: body.role }), ...(body.status === undefined ? {} : { status: body.status }) }
      await withAuditedTransaction(db, request, async (trx) => {
        await lockOrg(trx, org)
        const current = await trx
          .selectFrom('admins as a')
          .innerJoin('admin_roles as r', 'r.admin_id', 'a.id')
          .select(['a.version', 'a.status', 'r.role'])
          .where('a.id', '=', id)
          .where('r.org_id', '=', org)
          .executeTakeFirst()
        if (current === undefined) throw new ServerError('SRV_NOT_FOUND', 'no such admin in this organisation')
        if (Number(current.version) !== body.version) {
          throw new ServerError('SRV_CONFLICT', `the admin changed meanwhile: its version is now ${current.version}`, { errors: [{ path: '/body/version', message: `is ${current.version} now` }] })
        }
        const losesOwner = current.role === 'owner' && ((body.role !== undefined && body.role !== 'owner') || body.status === 'disabled')
        if (losesOwner) await refuseLastOwner(trx, org, id)
        if (body.status !== undefined && body.status !== current.status) {
          const others = await trx.selectFrom('admin_roles').select('org_id').where('admin_id', '=', id).where('org_id', '!=', org).executeTakeFirst()
          if (others !== undefined) {
            throw new ServerError('SRV_CONFLICT', 'this account also serves other organisations: remove its role here instead of changing its status', {
              errors: [{ path: '/body/status', message: 'cannot be changed from one organisation of a shared account' }],
            })
          }
        }
        const r = await trx
          .updateTable('admins')
          .set((eb) => ({ ...(body.status === undefined ? {} : { status: body.status }), updated_at: t, version: eb('version', '+', 1) }))
          .where('id', '=', id)
          .where('version', '=', body.version)
          .executeTakeFirst()
        if (r.numUpdatedRows === 0n) throw new ServerError('SRV_CONFLICT', 'the admin changed meanwhile; read it again', { errors: [{ path: '/body/version', message: 'is stale' }] })
        if (body.role !== undefined) await trx.updateTable('admin_roles').set({ role: body.role }).where('admin_id', '=', id).where('org_id', '=', org).execute()
        if (body.status === 'disabled') await revokeSessions(trx, id, t)
      }, { at: t })
      return (await listAdmins(db, org, id))[0]!
    },
  )

  app.delete(
    '/v1/orgs/:org/admins/:id',
    {
      config: { access: orgAccess('org:admin'), audit: { action: 'admin.remove', target: 'admin' } },
      schema: { params: PARAMS, querystring: NO_QUERY, response: { 200: objectSchema({}) } },
    },
    async (request) => {
      const org = orgOf(request)
      const { id } = request.params as { id: string }
      const t = deps.now()
      await withAuditedTransaction(db, request, async (trx) => {
        await lockOrg(trx, org)
        const role = await trx.selectFrom('admin_roles').select('role').where('admin_id', '=', id).where('org_id', '=', org).executeTakeFirst()
        if (role === undefined) throw new ServerError('SRV_NOT_FOUND', 'no such admin in this organisation')
        if (role.role === 'owner') await refuseLastOwner(trx, org, id)
        await trx.deleteFrom('admin_roles').where('admin_id', '=', id).where('org_id', '=', org).execute()
        const left = await trx.selectFrom('admin_roles').select('org_id').where('admin_id', '=', id).executeTakeFirst()
        if (left === undefined) await revokeSessions(trx, id, t)
      }, { at: t })
      return {}
    },
  )
}

/** The username or email an invitation is addressed to (exactly one; 400 naming the field otherwise). */
function invitationIdentifier(body: { username?: string; email?: string; name?: string }): string {
  if (body.name !== undefined) {
    throw new ServerError('SRV_VALIDATION', 'to create an account send a password too; to invite an existing one send only username (or email) and role', {
      errors: [{ path: '/body/password', message: 'is required to create an account' }],
    })
  }
  if ((body.username === undefined) === (body.email === undefined)) {
    throw new ServerError('SRV_VALIDATION', 'to invite an existing account send exactly one of username and email', {
      errors: [{ path: '/body/username', message: 'exactly one of username and email is required' }],
    })
  }
  if (body.username !== undefined) {
    if (!ADMIN_USERNAME_RE.test(body.username)) throw new ServerError('SRV_VALIDATION', 'invalid username', { errors: [{ path: '/body/username', message: 'is not a username' }] })
    return body.username
  }
  const problem = emailProblem(body.email!.normalize('NFC'))
  if (problem !== undefined) throw new ServerError('SRV_VALIDATION', `invalid email: ${problem}`, { errors: [{ path: '/body/email', message: problem }] })
  return body.email!
}

/** One answer for a taken username and a taken email: which one is not said. */
function takenAnswer(cause: unknown): ServerError<'SRV_DUPLICATE'> {
  const message = 'is already used by an account, or the other field is; to add a person who has an account, invite it ({ username, role })'
  return new ServerError('SRV_DUPLICATE', 'this username or email cannot be used for a new account', {
    cause,
    errors: [{ path: '/body/username', message }, { path: '/body/email', message }],
  })
}

/** 409 SRV_LAST_OWNER unless the org has another active owner than `adminId`. */
async function refuseLastOwner(db: Kysely<Database>, org: string, adminId: string): Promise<void> {
  const other = await db
    .selectFrom('admin_roles as r')
    .innerJoin('admins as a', 'a.id', 'r.admin_id')
    .select('a.id')
    .where('r.org_id', '=', org)
    .where('r.role', '=', 'owner')
    .where('a.status', '=', 'active')
    .where('a.id', '!=', adminId)
    .executeTakeFirst()
  if (other === undefined) throw new ServerError('SRV_LAST_OWNER', 'this is the last owner of the organisation: make someone else owner first')
}

/** The org's admins (or one of them), by username. */
async function listAdmins(db: Kysely<Database>, org: string, onlyId?: string) {
  let q = db
    .selectFrom('admins as a')
    .innerJoin('admin_roles as r', 'r.admin_id', 'a.id')
    .select(['a.id', 'a.username', 'a.email', 'a.name', 'r.role', 'a.status', 'a.totp_enabled_at', 'a.created_at', 'a.version'])
    .where('r.org_id', '=', org)
  if (onlyId !== undefined) q = q.where('a.id', '=', onlyId)
  const rows = await q.orderBy('a.username_key').limit(10_000).execute()
  return rows.map((r) => ({
    id: r.id,
    username: r.username,
    email: r.email,
    name: r.name,
    role: r.role,
    status: r.status,
    mfaEnabled: r.totp_enabled_at !== null,
    createdAt: Number(r.created_at),
    version: Number(r.version),
  }))
}
