/**
 * Freezes a plain value and everything reachable from it, so a value
 * validated once (server config) cannot drift afterwards — like fastify's
 * `deepFreezeObject` in lib/initial-config-validation.js.
 *
 * @example
 * const config = deepFreeze({ listen: { host: '127.0.0.1', port: 8080 } })
 * Object.isFrozen(config.listen) // true
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  Object.freeze(value)
  for (const key of Reflect.ownKeys(value)) {
    deepFreeze((value as Record<PropertyKey, unknown>)[key])
  }
  return value
}
