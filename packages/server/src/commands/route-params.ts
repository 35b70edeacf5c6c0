/**
 * JSON Schemas shared by the org-scoped routes of enrollment, devices,
 * commands and alerts. Patterns come from protocol, so the server accepts
 * exactly the ids that can appear in signed documents.
 */
import { ID_RE, ORG_ID_RE } from '@palisade/protocol'
import { objectSchema, type JsonSchema } from '../http/schemas.js'

/** An org id (`acme`), as in root.org and command.org. */
export const ORG_ID: JsonSchema = { type: 'string', pattern: ORG_ID_RE.source }
/** A device or command id. */
export const ENTITY_ID: JsonSchema = { type: 'string', pattern: ID_RE.source }

/** Params of `/v1/orgs/:org/...`. */
export const ORG_PARAMS: JsonSchema = objectSchema({ org: ORG_ID }, ['org'])
/** Params of `/v1/orgs/:org/<things>/:id`. */
export const ORG_ENTITY_PARAMS: JsonSchema = objectSchema({ org: ORG_ID, id: ENTITY_ID }, ['org', 'id'])

/** Query of list routes: `?limit=` (1..1000, default {@link DEFAULT_LIMIT}); a string, as Ajv does not coerce. */
export const LIST_QUERY: JsonSchema = objectSchema({ limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$' } })
/** Default page size of list routes. */
export const DEFAULT_LIMIT = 100

/** The `limit` of a LIST_QUERY query. */
export function listLimit(query: unknown): number {
  const raw = (query as { limit?: string } | undefined)?.limit
  return raw === undefined ? DEFAULT_LIMIT : Number(raw)
}
