/**
 * The page cursor of the audit search: the (created_at, id) of the last
 * event of a page, the position of a keyset page. Later pages ask for
 * events strictly before it in (created_at desc, id desc) order, so events
 * inserted meanwhile (newer, hence above) never shift or repeat a page.
 *
 * Wire form: base64url of `<created_at>.<id>`; opaque to clients.
 */

/** A position in the (created_at desc, id desc) order. */
export interface AuditCursor {
  readonly createdAt: number
  readonly id: string
}

const TEXT_RE = /^(0|[1-9][0-9]{0,15})\.([A-Za-z0-9-]{1,64})$/

/**
 * Encodes a cursor.
 *
 * @example
 * formatAuditCursor({ createdAt: 1_700_000_000_000, id: 'e3b0…' }) // 'MTcwMDAwMDAwMDAwMC5lM2Iw…'
 */
export function formatAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(`${cursor.createdAt}.${cursor.id}`, 'utf8').toString('base64url')
}

/**
 * Decodes a cursor; undefined when it is not one this server made.
 *
 * @example
 * parseAuditCursor(formatAuditCursor(c)) // deep-equals c
 */
export function parseAuditCursor(text: string): AuditCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,120}$/.test(text)) return undefined
  const decoded = Buffer.from(text, 'base64url').toString('utf8')
  const m = TEXT_RE.exec(decoded)
  if (m === null) return undefined
  const createdAt = Number(m[1])
  if (!Number.isSafeInteger(createdAt)) return undefined
  // One spelling only: a cursor re-encodes to itself.
  const cursor = { createdAt, id: m[2]! }
  return formatAuditCursor(cursor) === text ? cursor : undefined
}
