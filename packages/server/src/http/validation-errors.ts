/**
 * Turns Ajv validation errors into {@link FieldError}s that name the field.
 *
 * Ajv reports an unknown or missing property on the *parent* object
 * (`instancePath` "" with `params.additionalProperty`), so the property name
 * is appended here: the caller reads `/body/extra: unknown field`, not
 * `/body: must NOT have additional properties`.
 *
 * Property names come from the request: they are attacker-controlled, so
 * each path is length-capped before it is echoed back or logged.
 */
import type { FieldError } from '../errors.js'

/** The slice of Ajv's `ErrorObject` that we read. */
export interface AjvLikeError {
  readonly instancePath?: string
  readonly keyword?: string
  readonly message?: string
  readonly params?: Readonly<Record<string, unknown>>
}

/** Longest path echoed back; longer ones are cut with an ellipsis. */
export const MAX_PATH_LENGTH = 200

/**
 * One FieldError per Ajv error, paths as JSON pointers prefixed by the
 * request part (`/body`, `/querystring`, `/params`, `/headers`).
 *
 * @example
 * validationFieldErrors('body', [{ instancePath: '', keyword: 'additionalProperties',
 *   params: { additionalProperty: 'extra' } }])
 * // [{ path: '/body/extra', message: 'unknown field' }]
 */
export function validationFieldErrors(part: string, errors: readonly AjvLikeError[]): FieldError[] {
  return errors.map((e) => {
    const base = `/${part}${e.instancePath ?? ''}`
    const params = e.params ?? {}
    switch (e.keyword) {
      case 'additionalProperties':
        return field(child(base, params['additionalProperty']), 'unknown field')
      case 'required':
        return field(child(base, params['missingProperty']), 'is required')
      default:
        return field(base, e.message ?? 'is invalid')
    }
  })
}

function child(base: string, name: unknown): string {
  return typeof name === 'string' ? `${base}/${escapePointer(name)}` : base
}

/** RFC 6901 §3: "~" and "/" inside a reference token are escaped. */
function escapePointer(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1')
}

function field(path: string, message: string): FieldError {
  return { path: path.length > MAX_PATH_LENGTH ? `${path.slice(0, MAX_PATH_LENGTH)}…` : path, message }
}
