/**
 * The people of an org's directory (WIRE.md "Directory"): create, list,
 * show, edit under optimistic concurrency, delete. The JSON Schemas bound
 * types and sizes; person-fields.ts checks content and names each field.
 * Each change commits together with its audit event (withAuditedTransaction).
 */
import { ENTITY_ID, ORG_ENTITY_PARAMS, ORG_PARAMS } from '../commands/route-params.js'
import { orgAccess } from '../auth/access.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { ServerError, type FieldError } from '../errors.js'
import { NO_QUERY, objectSchema, type JsonSchema } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { createPerson } from './create-person.js'
import { deletePerson } from './delete-person.js'
import { getPerson } from './get-person.js'
import { listPeople } from './list-people.js'
import { orgIdOf, setAuditTarget } from './org-scope.js'
import { PAGE_QUERY_PROPERTIES, pageLimit, parseCursor } from './page-cursor.js'
import { checkPersonFields, MAX_ATTRIBUTES, MAX_SSH_KEYS, PERSON_STATUSES, type PersonInput } from './person-fields.js'
import { PERSON_DETAIL_SCHEMA, PERSON_SCHEMA, personView } from './person-view.js'
import { updatePerson } from './update-person.js'

// Generous caps for the schema; the exact rules are in person-fields.ts, with better messages.
const PERSON_FIELDS: Readonly<Record<string, JsonSchema>> = {
  username: { type: 'string', maxLength: 256 },
  email: { type: 'string', maxLength: 1024 },
  name: { type: 'string', maxLength: 1024 },
  status: { type: 'string', enum: [...PERSON_STATUSES] },
  sshKeys: { type: 'array', maxItems: MAX_SSH_KEYS, items: { type: 'string', maxLength: 16384 } },
  attributes: { type: 'object', maxProperties: MAX_ATTRIBUTES, additionalProperties: { type: 'string', maxLength: 8192 } },
}

const LIST_QUERY = objectSchema({
  q: { type: 'string', minLength: 1, maxLength: 200 },
  status: { type: 'string', enum: [...PERSON_STATUSES] },
  group: ENTITY_ID,
  ...PAGE_QUERY_PROPERTIES,
})

const DELETED = objectSchema(
  { id: { type: 'string' }, deleted: { type: 'boolean' }, memberships: { type: 'integer' }, devices: { type: 'integer' } },
  ['id', 'deleted', 'memberships', 'devices'],
)

/** The people routes. */
export const peopleRoutes: RoutePlugin = async (app, { db }) => {
  app.post(
    '/v1/orgs/:org/people',
    {
      config: { access: orgAccess('directory:write'), audit: { action: 'person.create', target: 'person' } },
      schema: { params: ORG_PARAMS, querystring: NO_QUERY, body: objectSchema(PERSON_FIELDS, ['username', 'email', 'name']), response: { 201: PERSON_SCHEMA } },
    },
    async (request, reply) => {
      const fields = checked(request.body as PersonInput)
      const now = Date.now()
      const row = await withAuditedTransaction(db, request, async (trx) => {
        const created = await createPerson(trx, orgIdOf(request), {
          username: fields.username!,
          email: fields.email!,
          name: fields.name!,
          status: fields.status ?? 'active',
          sshKeys: fields.sshKeys ?? [],
          attributes: fields.attributes ?? {},
        }, now)
        setAuditTarget(request, created.id)
        return created
      }, { statusCode: 201, at: now })
      return reply.code(201).send(personView(row))
    },
  )

  app.get(
    '/v1/orgs/:org/people',
    {
      config: { access: orgAccess('read') },
      schema: {
        params: ORG_PARAMS,
        querystring: LIST_QUERY,
        response: { 200: objectSchema({ people: { type: 'array', items: PERSON_SCHEMA }, nextCursor: { type: ['string', 'null'] } }, ['people', 'nextCursor']) },
      },
    },
    async (request) => {
      const query = request.query as { q?: string; status?: string; group?: string; limit?: string; cursor?: string }
      const { rows, nextCursor } = await listPeople(db, orgIdOf(request), {
        ...(query.q === undefined ? {} : { q: query.q }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.group === undefined ? {} : { group: query.group }),
        ...(query.cursor === undefined ? {} : { after: parseCursor(query.cursor) }),
        limit: pageLimit(query),
      })
      return { people: rows.map(personView), nextCursor }
    },
  )

  app.get(
    '/v1/orgs/:org/people/:id',
    { config: { access: orgAccess('read') }, schema: { params: ORG_ENTITY_PARAMS, querystring: NO_QUERY, response: { 200: PERSON_DETAIL_SCHEMA } } },
    async (request) => getPerson(db, orgIdOf(request), (request.params as { id: string }).id),
  )

  app.patch(
    '/v1/orgs/:org/people/:id',
    {
      config: { access: orgAccess('directory:write'), audit: { action: 'person.update', target: 'person' } },
      schema: {
        params: ORG_ENTITY_PARAMS,
        querystring: NO_QUERY,
        body: objectSchema({ version: { type: 'integer', minimum: 1, maximum: 2 ** 31 }, ...PERSON_FIELDS }, ['version']),
        response: { 200: PERSON_SCHEMA },
      },
    },
    async (request) => {
      const { version, ...input } = request.body as PersonInput & { version: number }
      const fields = checked(input)
      if (Object.keys(fields).length === 0) {
        throw new ServerError('SRV_VALIDATION', 'the edit changes nothing: name at least one field besides version', {
          errors: [{ path: '/body', message: 'names no field to change' }],
        })
      }
      const now = Date.now()
      const row = await withAuditedTransaction(db, request, (trx) => updatePerson(trx, orgIdOf(request), (request.params as { id: string }).id, version, fields, now), { at: now })
      return personView(row)
    },
  )

  app.delete(
    '/v1/orgs/:org/people/:id',
    {
      config: { access: orgAccess('directory:write'), audit: { action: 'person.delete', target: 'person' } },
      schema: { params: ORG_ENTITY_PARAMS, querystring: NO_QUERY, response: { 200: DELETED } },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const removed = await withAuditedTransaction(db, request, (trx) => deletePerson(trx, orgIdOf(request), id))
      return { id, deleted: true, ...removed }
    },
  )
}

/** The checked fields of a body, or SRV_VALIDATION naming every bad field. */
function checked(input: PersonInput): ReturnType<typeof checkPersonFields>['fields'] {
  const { fields, errors } = checkPersonFields(input)
  if (errors.length > 0) throw invalid(errors)
  return fields
}

function invalid(errors: readonly FieldError[]): ServerError<'SRV_VALIDATION'> {
  const summary = errors.slice(0, 3).map((e) => `${e.path} ${e.message}`).join('; ')
  return new ServerError('SRV_VALIDATION', `the request body is invalid: ${summary}`, { errors })
}
