/**
 * Group membership (WIRE.md "Directory"): add or remove one member
 * (idempotent PUT and DELETE), or change many at once, all or nothing.
 * Each change commits together with its audit event (withAuditedTransaction).
 */
import { orgAccess } from '../auth/access.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { ENTITY_ID, ORG_ID } from '../commands/route-params.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { changeMembers, MAX_MEMBER_CHANGE } from './change-members.js'
import { orgIdOf } from './org-scope.js'

const GROUP_PARAMS = objectSchema({ org: ORG_ID, id: ENTITY_ID }, ['org', 'id'])
const MEMBER_PARAMS = objectSchema({ org: ORG_ID, id: ENTITY_ID, memberId: ENTITY_ID }, ['org', 'id', 'memberId'])
const RESULT = objectSchema(
  { groupId: { type: 'string' }, added: { type: 'integer' }, removed: { type: 'integer' }, memberCount: { type: 'integer' } },
  ['groupId', 'added', 'removed', 'memberCount'],
)
const IDS = { type: 'array', maxItems: MAX_MEMBER_CHANGE, items: ENTITY_ID }

/** The membership routes. */
export const membersRoutes: RoutePlugin = async (app, { db }) => {
  app.put(
    '/v1/orgs/:org/groups/:id/members/:memberId',
    {
      config: { access: orgAccess('directory:write'), audit: { action: 'group.member-add', target: 'group' } },
      // PUT has no body to send; an empty object is accepted so that JSON clients may send `{}`.
      schema: { params: MEMBER_PARAMS, querystring: NO_QUERY, body: { anyOf: [objectSchema({}), { type: 'null' }] }, response: { 200: RESULT } },
    },
    async (request) => {
      const { id, memberId } = request.params as { id: string; memberId: string }
      const result = await withAuditedTransaction(db, request, (trx) => changeMembers(trx, orgIdOf(request), id, { add: [memberId], remove: [], addPath: () => '/params/memberId' }, Date.now()))
      return { groupId: id, ...result }
    },
  )

  app.delete(
    '/v1/orgs/:org/groups/:id/members/:memberId',
    {
      config: { access: orgAccess('directory:write'), audit: { action: 'group.member-remove', target: 'group' } },
      schema: { params: MEMBER_PARAMS, querystring: NO_QUERY, response: { 200: RESULT } },
    },
    async (request) => {
      const { id, memberId } = request.params as { id: string; memberId: string }
      const result = await withAuditedTransaction(db, request, (trx) => changeMembers(trx, orgIdOf(request), id, { add: [], remove: [memberId], addPath: () => '/params/memberId' }, Date.now()))
      return { groupId: id, ...result }
    },
  )

  app.post(
    '/v1/orgs/:org/groups/:id/members',
    {
      config: { access: orgAccess('directory:write'), audit: { action: 'group.members-change', target: 'group' } },
      schema: { params: GROUP_PARAMS, querystring: NO_QUERY, body: objectSchema({ add: IDS, remove: IDS }), response: { 200: RESULT } },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const { add = [], remove = [] } = request.body as { add?: string[]; remove?: string[] }
      if (add.length + remove.length > MAX_MEMBER_CHANGE) {
        throw new ServerError('SRV_VALIDATION', `at most ${MAX_MEMBER_CHANGE} ids per change`, {
          errors: [{ path: '/body', message: `add and remove list ${add.length + remove.length} ids together; at most ${MAX_MEMBER_CHANGE}` }],
        })
      }
      const removing = new Set(remove)
      const both = add.findIndex((m) => removing.has(m))
      if (both >= 0) {
        throw new ServerError('SRV_VALIDATION', `${add[both]} is both added and removed`, { errors: [{ path: `/body/add/${both}`, message: 'is also in remove' }] })
      }
      const result = await withAuditedTransaction(db, request, (trx) => changeMembers(trx, orgIdOf(request), id, { add, remove, addPath: (i) => `/body/add/${i}` }, Date.now()))
      return { groupId: id, ...result }
    },
  )
}
