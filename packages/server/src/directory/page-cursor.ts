/**
 * Keyset cursors for the directory's lists: the sort key and id of the last
 * row of a page, as opaque base64url JSON. The next page starts strictly
 * after that position, so rows inserted or deleted between pages never make
 * a page repeat or skip a row that existed throughout (unlike OFFSET).
 *
 * A cursor comes back from the client: it is attacker-controlled and parsed
 * strictly (two short strings, nothing else); anything else is refused as
 * a validation error on `querystring/cursor`.
 */
import { ServerError } from '../errors.js'

/** Where a page ends: the sort key and the id of its last row. */
export interface PagePosition {
  readonly key: string
  readonly id: string
}

/** Largest page of a directory list. */
export const MAX_PAGE = 500
/** Page size when `limit` is not given. */
export const DEFAULT_PAGE = 100

/** Query schema of `limit` (1..500) and `cursor`; strings, as Ajv does not coerce. */
export const PAGE_QUERY_PROPERTIES = {
  limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,1}|[1-4][0-9]{2}|500)$' },
  cursor: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9_-]+$' },
} as const

/**
 * The cursor text of a position.
 *
 * @example
 * formatCursor({ key: 'ada', id: 'person-1' }) // 'WyJhZGEiLCJwZXJzb24tMSJd'
 */
export function formatCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.key, position.id]), 'utf8').toString('base64url')
}

/**
 * The position of a cursor; throws SRV_VALIDATION naming `/querystring/cursor` when it is not one we made.
 *
 * @example
 * parseCursor(formatCursor({ key: 'ada', id: 'person-1' })) // { key: 'ada', id: 'person-1' }
 */
export function parseCursor(text: string): PagePosition {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    value = undefined
  }
  if (
    !Array.isArray(value) || value.length !== 2 ||
    typeof value[0] !== 'string' || typeof value[1] !== 'string' || value[0].length > 512 || value[1].length > 128
  ) {
    throw new ServerError('SRV_VALIDATION', 'the cursor is not one this server handed out', {
      errors: [{ path: '/querystring/cursor', message: 'is not a cursor from a previous page' }],
    })
  }
  return { key: value[0], id: value[1] }
}

/** The page size a query asks for. */
export function pageLimit(query: { readonly limit?: string }): number {
  return query.limit === undefined ? DEFAULT_PAGE : Number(query.limit)
}
