/**
 * Small JSON Schema builders for route schemas, so that routes are strict
 * by default (see ./route-schema-policy.ts).
 *
 * Ajv runs with `coerceTypes: false`: query and path parameters arrive as
 * strings and are declared as strings (with a `pattern`); convert them in
 * the handler. This keeps "1e3", " 7" and "true" from silently becoming
 * numbers or booleans.
 */

/** A JSON Schema object (kept loose: Fastify accepts any JSON Schema). */
export type JsonSchema = Readonly<Record<string, unknown>>

/**
 * A closed object schema: only `properties` are allowed; `required` lists
 * the mandatory ones.
 *
 * @example
 * body: objectSchema({ name: { type: 'string', minLength: 1, maxLength: 200 } }, ['name'])
 */
export function objectSchema(properties: Readonly<Record<string, JsonSchema>>, required: readonly string[] = []): JsonSchema {
  // Not frozen: Fastify and Ajv annotate schema objects while compiling them.
  return {
    type: 'object',
    additionalProperties: false,
    properties,
    ...(required.length > 0 ? { required } : {}),
  }
}

/** The querystring schema of a route that takes no query parameters. */
export const NO_QUERY: JsonSchema = objectSchema({})
