/**
 * JSON Schemas shared by the setup, roots and log routes. Ajv does not
 * coerce (app.ts), so numbers in query strings are declared as strings
 * with a decimal pattern and converted by {@link queryCount}.
 */
import { ORG_ID_RE } from '@palisade/protocol'
import { objectSchema, type JsonSchema } from '../http/schemas.js'

/** An org id, exactly as root.org allows. */
export const ORG_ID_SCHEMA: JsonSchema = { type: 'string', pattern: ORG_ID_RE.source }

/** Params of `/v1/orgs/:org/...`. */
export const ORG_PARAMS_SCHEMA: JsonSchema = objectSchema({ org: ORG_ID_SCHEMA }, ['org'])

/** A non-negative decimal without leading zeros, at most 2^53-ish (16 digits). */
export const COUNT_STRING: JsonSchema = { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' }

/** A list of base64 hashes. */
export const PROOF_SCHEMA: JsonSchema = objectSchema({ proof: { type: 'array', items: { type: 'string' } } }, ['proof'])

/** A cosignature/v1 key and a URL, as setup and rotation take witnesses. */
export const WITNESS_SCHEMA: JsonSchema = objectSchema(
  {
    key: { type: 'string', minLength: 1, maxLength: 512 },
    url: { type: 'string', minLength: 1, maxLength: 2048 },
  },
  ['key', 'url'],
)

/** Up to 32 witnesses (protocol ROOT_MAX_WITNESSES). */
export const WITNESSES_SCHEMA: JsonSchema = { type: 'array', maxItems: 32, items: WITNESS_SCHEMA }

/**
 * A COUNT_STRING query parameter as a number; throws nothing (the schema
 * already checked it), but refuses values beyond 2^53 - 1 as NaN-free -1.
 */
export function queryCount(value: string): number {
  const n = Number(value)
  return Number.isSafeInteger(n) ? n : -1
}
