/**
 * Enrollment abuse against the honest server (A4 before enrollment, A5):
 * the enrollment token is the only credential of POST /v1/enroll, so a
 * token that is spent, expired, or waved at another org, and a device key
 * that is already enrolled, must each be refused as WIRE.md documents
 * (401 for every token failure, alike; 400 for an unknown field; 409 for
 * a key already enrolled), with no device row created and the token's
 * remaining uses untouched (the use is taken and given back in one
 * transaction: no half-written record). Not an attack: the very same
 * enrollment sent again (same key, token and hostname, before the device
 * ever connected) gets the device it enrolled, so an agent that lost its
 * answer can learn it (server enroll/enroll-route.ts and its tests). That
 * answer ends once the device connected; the last row holds it to that.
 */
import { createHash, randomBytes } from 'node:crypto'
import { nodePublicKey, toBase64 } from '@palisade/protocol'
import { statusAndCode, type ClientScenario, type Fleet, type Outcome } from './client-scenario.js'
import type { LiveServer } from './live-server.js'

const freshKey = (): string => toBase64(nodePublicKey(new Uint8Array(randomBytes(32))))
const tokenHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex')

/** The database facts an enrollment may change. */
interface Snapshot {
  readonly devices: number
  readonly usesLeft: number | undefined
}

function snapshot(s: LiveServer, token: string): Snapshot {
  const row = s.db.prepare('SELECT uses_left FROM enrollment_tokens WHERE token_hash = ?').get(tokenHash(token)) as { uses_left: number } | undefined
  return { devices: s.count('SELECT count(*) AS n FROM devices'), usesLeft: row?.uses_left }
}

/**
 * POSTs `body` to /v1/enroll and lists every change to the database: a
 * refused enrollment changes nothing. `enrolled` rows with the body's
 * public key may exist before (a key enrolled already). A refusal that
 * must name a field (`field`, e.g. /body/org) and does not is listed too.
 */
async function refusedEnrollment(s: LiveServer, token: string, body: Record<string, unknown>, enrolled = 0, field?: string): Promise<Outcome> {
  const before = snapshot(s, token)
  const answer = await s.api('POST', '/v1/enroll', { token, hostname: 'intruder', ...body }, false)
  const after = snapshot(s, token)
  const sideEffects: string[] = []
  if (after.devices !== before.devices) sideEffects.push(`${after.devices - before.devices} device row(s) created`)
  if (after.usesLeft !== before.usesLeft) sideEffects.push(`token uses left went ${before.usesLeft} → ${after.usesLeft}`)
  const key = body['publicKey']
  if (typeof key === 'string' && s.count('SELECT count(*) AS n FROM devices WHERE public_key = ?', key) > enrolled) {
    sideEffects.push('the key is enrolled')
  }
  const named = (answer.body?.['errors'] as { path?: unknown }[] | undefined)?.some((e) => e.path === field) === true
  if (field !== undefined && !named) sideEffects.push(`the refusal does not name ${field}`)
  return { observed: statusAndCode(answer), sideEffects }
}

export const enrollmentScenarios: readonly ClientScenario[] = [
  {
    slug: 'enroll-token-spent',
    title: 'Enrollment token reused after its one use was spent (by a real agent enrollment)',
    guarantee: 'A4',
    expect: '401 SRV_UNAUTHENTICATED',
    async run({ s }: Fleet) {
      const token = await s.token(1)
      await s.enroll('spent-token-device', token)
      return refusedEnrollment(s, token, { publicKey: freshKey() })
    },
  },
  {
    slug: 'enroll-token-expired',
    title: 'Expired enrollment token (shortest ttl the API allows, 60 s; its expiry then moved into the past in the database)',
    guarantee: 'A4',
    expect: '401 SRV_UNAUTHENTICATED',
    async run({ s }: Fleet) {
      const token = await s.token(1, 60)
      const moved = s.db.prepare('UPDATE enrollment_tokens SET expires_at = ? WHERE token_hash = ?').run(Date.now() - 1000, tokenHash(token))
      if (moved.changes !== 1) throw new Error('the token is not in the database')
      return refusedEnrollment(s, token, { publicKey: freshKey() })
    },
  },
  {
    slug: 'enroll-claims-other-org',
    title: 'A token of org acme used while claiming org globex ("org" in the enrollment body)',
    guarantee: 'A5',
    expect: '400 SRV_VALIDATION',
    async run({ s }: Fleet) {
      return refusedEnrollment(s, await s.token(1), { publicKey: freshKey(), org: 'globex' }, 0, '/body/org')
    },
  },
  {
    slug: 'token-for-other-org',
    title: "acme's API key creating an enrollment token for org globex",
    guarantee: 'A5',
    expect: '404 SRV_NOT_FOUND',
    async run({ s }: Fleet) {
      const before = s.count('SELECT count(*) AS n FROM enrollment_tokens')
      const answer = await s.api('POST', '/v1/orgs/globex/enrollment-tokens', { uses: 1 })
      const after = s.count('SELECT count(*) AS n FROM enrollment_tokens')
      return { observed: statusAndCode(answer), sideEffects: after === before ? [] : [`${after - before} token row(s) created`] }
    },
  },
  {
    slug: 'enroll-key-reused',
    title: "A public key already enrolled (device A's) enrolling again with a valid token",
    guarantee: 'A4',
    expect: '409 SRV_CONFLICT',
    async run({ s, a }: Fleet) {
      return refusedEnrollment(s, await s.token(2), { publicKey: a.publicKey }, 1)
    },
  },
  {
    slug: 'enroll-retry-after-connect',
    title: "Device A's own enrollment (its key, token and hostname) sent again after A connected: the answer to a lost-answer retry is over",
    guarantee: 'A4',
    expect: '409 SRV_CONFLICT',
    async run({ s, a, token }: Fleet) {
      const row = s.db.prepare('SELECT hostname, last_seen_at FROM devices WHERE id = ?').get(a.id) as { hostname: string; last_seen_at: number | null } | undefined
      if (row?.last_seen_at == null) throw new Error('device A has not connected: the scenario would test the retry window, not its end')
      return refusedEnrollment(s, token, { publicKey: a.publicKey, hostname: row.hostname }, 1)
    },
  },
]
