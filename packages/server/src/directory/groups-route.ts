/**
 * The groups of an org's directory (WIRE.md "Directory"): user groups hold
 * people, device groups hold devices. Create, list with member counts,
 * show with a page of members, rename under optimistic concurrency, delete
 * with its memberships. Each change commits together with its audit event
 * (withAuditedTransaction).
 */
import { orgAccess } from '../auth/access.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { ORG_ENTITY_PARAMS, ORG_PARAMS } from '../commands/route-params.js'
import { ServerError, type FieldError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { createGroup } from './create-group.js'
import { deleteGroup } from './delete-group.js'
import { getGroup } from './get-group.js'
import { checkGroupFields, GROUP_KINDS, type GroupFields, type GroupKind } from './group-fields.js'
import { GROUP_DETAIL_SCHEMA, GROUP_SCHEMA, groupView } from './group-view.js'
import { listGroups } from './list-groups.js'
import { orgIdOf, setAuditTarget } from './org-scope.js'
import { PAGE_QUERY_PROPERTIES, pageLimit, parseCursor } from './page-cursor.js'
import { updateGroup } from './update-group.js'

const NAME = { type: 'string', maxLength: 1024 }
const DESCRIPTION = { type: 'string', maxLength: 8192 }

/** The group routes. */
export const groupsRoutes: RoutePlugin = async (app, { db }) => {
  app.post(
    '/v1/orgs/:org/groups',
    {
      config: { access: orgAccess('directory:write'), audit: { action: 'group.create', target: 'group' } },
      schema: {
        params: ORG_PARAMS,
        querystring: NO_QUERY,
        body: objectSchema({ kind: { type: 'string', enum: [...GROUP_KINDS] }, name: NAME, description: DESCRIPTION }, ['kind', 'name']),
        response: { 201: GROUP_SCHEMA },
      },
    },
    async (request, reply) => {
      const body = request.body as { kind: GroupKind; name: string; description?: string }
      const fields = checked(body)
      const now = Date.now()
      const row = await withAuditedTransaction(db, request, async (trx) => {
        const created = await createGroup(trx, orgIdOf(request), { kind: body.kind, name: fields.name!, description: fields.description ?? '' }, now)
        setAuditTarget(request, created.id)
        return created
      }, { statusCode: 201, at: now })
      return reply.code(201).send(groupView(row, 0))
    },
  )

  app.get(
    '/v1/orgs/:org/groups',
    {
      config: { access: orgAccess('read') },
      schema: {
        params: ORG_PARAMS,
        querystring: objectSchema({ kind: { type: 'string', enum: [...GROUP_KINDS] }, q: { type: 'string', minLength: 1, maxLength: 200 }, ...PAGE_QUERY_PROPERTIES }),
        response: { 200: objectSchema({ groups: { type: 'array', items: GROUP_SCHEMA }, nextCursor: { type: ['string', 'null'] } }, ['groups', 'nextCursor']) },
      },
    },
    async (request) => {
      const query = request.query as { kind?: GroupKind; q?: string; limit?: string; cursor?: string }
      return listGroups(db, orgIdOf(request), {
        ...(query.kind === undefined ? {} : { kind: query.kind }),
        ...(query.q === undefined ? {} : { q: query.q }),
        ...(query.cursor === undefined ? {} : { after: parseCursor(query.cursor) }),
        limit: pageLimit(query),
      })
    },
  )

  app.get(
    '/v1/orgs/:org/groups/:id',
    {
      config: { access: orgAccess('read') },
      schema: { params: ORG_ENTITY_PARAMS, querystring: objectSchema({ ...PAGE_QUERY_PROPERTIES }), response: { 200: GROUP_DETAIL_SCHEMA } },
    },
    async (request) => {
      const query = request.query as { limit?: string; cursor?: string }
      const after = query.cursor === undefined ? undefined : parseCursor(query.cursor).id
      return getGroup(db, orgIdOf(request), (request.params as { id: string }).id, { limit: pageLimit(query), ...(after === undefined ? {} : { afterId: after }) })
    },
  )

  app.patch(
    '/v1/orgs/:org/groups/:id',
    {
      config: { access: orgAccess('directory:write'), audit: { action: 'group.update', target: 'group' } },
      schema: {
        params: ORG_ENTITY_PARAMS,
        querystring: NO_QUERY,
        body: objectSchema({ version: { type: 'integer', minimum: 1, maximum: 2 ** 31 }, name: NAME, description: DESCRIPTION }, ['version']),
        response: { 200: GROUP_SCHEMA },
      },
    },
    async (request) => {
      const { version, ...input } = request.body as { version: number; name?: string; description?: string }
      const fields = checked(input)
      if (Object.keys(fields).length === 0) {
        throw new ServerError('SRV_VALIDATION', 'the edit changes nothing: name at least one field besides version', {
          errors: [{ path: '/body', message: 'names no field to change' }],
        })
      }
      const org = orgIdOf(request)
      const { id } = request.params as { id: string }
      const now = Date.now()
      const row = await withAuditedTransaction(db, request, (trx) => updateGroup(trx, org, id, version, fields, now), { at: now })
      const count = await getGroup(db, org, id, { limit: 0 })
      return groupView(row, count.memberCount)
    },
  )

  app.delete(
    '/v1/orgs/:org/groups/:id',
    {
      config: { access: orgAccess('directory:write'), audit: { action: 'group.delete', target: 'group' } },
      schema: {
        params: ORG_ENTITY_PARAMS,
        querystring: NO_QUERY,
        response: { 200: objectSchema({ id: { type: 'string' }, deleted: { type: 'boolean' }, memberships: { type: 'integer' } }, ['id', 'deleted', 'memberships']) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const { memberships } = await withAuditedTransaction(db, request, (trx) => deleteGroup(trx, orgIdOf(request), id))
      return { id, deleted: true, memberships }
    },
  )
}

function checked(input: { name?: string; description?: string }): GroupFields {
  const { fields, errors } = checkGroupFields(input)
  if (errors.length > 0) throw invalid(errors)
  return fields
}

function invalid(errors: readonly FieldError[]): ServerError<'SRV_VALIDATION'> {
  return new ServerError('SRV_VALIDATION', `the request body is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, { errors })
}
