import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { openDatabase } from '../db/open.js'
import type { Database } from '../db/schema.js'
import { installProblemHandlers } from '../http/problem-handlers.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { base32 } from './base32.js'
import { API_KEY_RE, createApiKey, hashSecret, parseApiKey } from './api-key.js'
import { installApiKeyAuth, LAST_USED_INTERVAL_MS, requireOrgKey } from './require-org-key.js'

let dir: string
let db: Kysely<Database>
let app: FastifyInstance
let clock = 1_800_000_000_000

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-auth-test-'))
  db = await openDatabase(`sqlite:${join(dir, 'p.db')}`)
  await db.insertInto('orgs').values([{ id: 'acme', name: 'acme', created_at: 1 }, { id: 'globex', name: 'globex', created_at: 1 }]).execute()
  app = Fastify()
  installProblemHandlers(app)
  installApiKeyAuth(app, db, { now: () => clock })
  await app.register(async (child) => {
    child.get(
      '/v1/orgs/:org/whoami',
      { preHandler: requireOrgKey, schema: { params: objectSchema({ org: { type: 'string' } }), querystring: NO_QUERY } },
      async (request) => request.auth,
    )
  })
})
after(async () => {
  await app.close()
  await db.destroy()
  rmSync(dir, { recursive: true, force: true })
})

const whoami = (org: string, authorization?: string) =>
  app.inject({ method: 'GET', url: `/v1/orgs/${org}/whoami`, headers: authorization === undefined ? {} : { authorization } })

describe('createApiKey', () => {
  it('returns pal_<8 base32>_<43 base64url> and stores only the prefix and the SHA-256 of the secret', async () => {
    const { id, key } = await createApiKey(db, 'acme', 'ci', ['admin'])
    assert.match(key, API_KEY_RE)
    const { prefix, secret } = parseApiKey(key)!
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    assert.equal(row.prefix, prefix)
    assert.equal(row.secret_hash, hashSecret(secret))
    assert.ok(!JSON.stringify(row).includes(secret))
    assert.deepEqual(JSON.parse(row.scopes), ['admin'])
  })

  it('splits only at the first two underscores (base64url secrets contain "_")', () => {
    const secret = `${'_'.repeat(21)}-${'a'.repeat(21)}`
    assert.deepEqual(parseApiKey(`pal_abcdefgh_${secret}`), { prefix: 'abcdefgh', secret })
    assert.equal(parseApiKey('pal_ABCDEFGH_' + 'a'.repeat(43)), undefined)
    assert.equal(parseApiKey('pal_abcdefgh_' + 'a'.repeat(42)), undefined)
  })
})

describe('base32', () => {
  it('matches the RFC 4648 test vectors (unpadded)', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']]
    for (const [input, out] of vectors) assert.equal(base32(new TextEncoder().encode(input)), out)
  })
})

describe('requireOrgKey', () => {
  it('accepts a valid key of the org and sets request.auth', async () => {
    const { id, key } = await createApiKey(db, 'acme', 'ok', ['admin'])
    const res = await whoami('acme', `Bearer ${key}`)
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json(), { orgId: 'acme', apiKeyId: id, scopes: ['admin'] })
  })

  it('answers no credentials with 401 and a Bearer challenge', async () => {
    const res = await whoami('acme')
    assert.deepEqual([res.statusCode, res.json().code], [401, 'SRV_UNAUTHENTICATED'])
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="palisade"')
  })

  it('answers malformed, unknown, wrong-secret, revoked and expired keys with the same 401', async () => {
    const { key } = await createApiKey(db, 'acme', 'x', [])
    const revoked = await createApiKey(db, 'acme', 'revoked', [])
    await db.updateTable('api_keys').set({ revoked_at: clock - 1 }).where('id', '=', revoked.id).execute()
    const expired = await createApiKey(db, 'acme', 'expired', [], { expiresAt: clock })
    const { prefix } = parseApiKey(key)!
    const cases = [
      'Basic dXNlcjpwYXNz',
      `Bearer ${key}x`,
      `Bearer pal_${prefix}_${'A'.repeat(43)}`,
      `Bearer pal_zzzzzzzz_${'A'.repeat(43)}`,
      `Bearer ${revoked.key}`,
      `Bearer ${expired.key}`,
    ]
    const bodies = new Set<string>()
    for (const c of cases) {
      const res = await whoami('acme', c)
      assert.equal(res.statusCode, 401, c)
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="palisade", error="invalid_token"')
      bodies.add(res.json().detail)
    }
    assert.equal(bodies.size, 1)
  })

  it('answers a valid key used on another org, or on an org that does not exist, with the same 404', async () => {
    const { key } = await createApiKey(db, 'acme', 'cross', [])
    const a = await whoami('globex', `Bearer ${key}`)
    const b = await whoami('no-such-org', `Bearer ${key}`)
    assert.deepEqual([a.statusCode, a.json().code, a.json().detail], [404, 'SRV_NOT_FOUND', 'no such organisation'])
    assert.deepEqual([b.statusCode, b.json().detail], [404, a.json().detail])
  })

  it('records last use at most once a minute', async () => {
    const { id, key } = await createApiKey(db, 'acme', 'usage', [])
    const lastUsed = async () => (await db.selectFrom('api_keys').select(['last_used_at', 'last_used_addr']).where('id', '=', id).executeTakeFirstOrThrow())
    await whoami('acme', `Bearer ${key}`)
    assert.deepEqual(await lastUsed(), { last_used_at: clock, last_used_addr: '127.0.0.1' })
    const first = clock
    clock += LAST_USED_INTERVAL_MS - 1
    await whoami('acme', `Bearer ${key}`)
    assert.equal((await lastUsed()).last_used_at, first)
    clock += 1
    await whoami('acme', `Bearer ${key}`)
    assert.equal((await lastUsed()).last_used_at, clock)
  })
})
