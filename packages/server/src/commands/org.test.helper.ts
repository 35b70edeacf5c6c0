/**
 * Test support for enrollment, devices, commands, alerts and the gateway
 * (not a test file: the runner picks up `*.test.js` only): a real app on a
 * temporary SQLite file (a fresh PostgreSQL database under
 * PALISADE_TEST_DATABASE=postgres) with the real log and setup routes, a small real
 * C2SP witness over HTTP, an org created through POST /v1/setup with real
 * admin keys, devices with real Ed25519 keys, and admin signing.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  canonicalJsonBytes,
  COMMAND_PAYLOAD_TYPE,
  COMMAND_TYPE,
  cosignature,
  dsse,
  fromBase64,
  keyId,
  nodePublicKey,
  nodeSign,
  ROOT_PAYLOAD_TYPE,
  ROOT_TYPE,
  toBase64,
} from '@palisade/protocol'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { buildApp } from '../app.js'
import type { ServerConfig } from '../config.js'
import { openDatabase } from '../db/open.js'
import { testDatabase } from '../db/test-database.test.helper.js'
import type { Database } from '../db/schema.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'
import { ROUTES } from '../routes/index.js'
import { setupRoutes } from '../setup/routes.js'
import { createSetupCode } from '../setup/setup-code.js'
import { parseAddCheckpointBody } from '../witness-client/add-checkpoint-body.js'

/**
 * Where test databases live: RAM (tmpfs) when the machine has it. They are
 * real SQLite files all the same; only the fsync that synchronous=FULL asks
 * for at every commit is free there, which makes these tests 5–10× faster
 * without changing what they check.
 */
const TEST_TMP = (() => {
  try {
    accessSync('/dev/shm', constants.W_OK)
    return statSync('/dev/shm').isDirectory() ? '/dev/shm' : tmpdir()
  } catch {
    return tmpdir()
  }
})()

/** Where cleanups go: a test's context, or `{ after }` from node:test for a suite. */
export interface Cleanup {
  after(fn: () => unknown): void
}

/** An Ed25519 key pair. */
export interface TestKey {
  readonly name: string
  readonly seed: Uint8Array
  readonly pub: Uint8Array
  readonly id: string
}

/** A fresh random key. */
export function testKey(name: string): TestKey {
  const seed = new Uint8Array(randomBytes(32))
  const pub = nodePublicKey(seed)
  return { name, seed, pub, id: keyId(pub) }
}

/** A witness that cosigns every checkpoint it is sent (it is a stand-in for packages/witness, not under test). */
export interface TestWitness {
  readonly url: string
  /** Its cosignature/v1 verifier key, as roots list it. */
  readonly vkey: string
  /** Requests seen. */
  requests: number
}

/** Starts a witness on 127.0.0.1:0, stopped when the test ends. */
export async function startWitness(t: Cleanup, name = 'witness.test'): Promise<TestWitness> {
  const key = testKey(name)
  const witness = { url: '', vkey: cosignature.formatWitnessVerifierKey(name, key.pub), requests: 0 }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d: string) => (body += d))
    req.on('end', () => {
      witness.requests++
      const request = parseAddCheckpointBody(body)
      if (request === undefined) {
        res.writeHead(400).end()
        return
      }
      // The checkpoint text is the note body: everything up to the blank line before the signatures.
      const text = request.note.slice(0, request.note.indexOf('\n\n') + 1)
      cosignature.cosign(text, { name, seed: key.seed }, Math.floor(Date.now() / 1000)).then(
        (line) => res.writeHead(200, { 'content-type': 'text/plain' }).end(line),
        () => res.writeHead(400).end(),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (typeof address !== 'object' || address === null) throw new Error('no address')
  witness.url = `http://127.0.0.1:${address.port}`
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return witness
}

/** A test server and org. */
export interface TestOrg {
  readonly app: FastifyInstance
  readonly db: Kysely<Database>
  readonly config: ServerConfig
  readonly lines: string[]
  readonly org: string
  readonly fingerprint: string
  readonly apiKey: string
  readonly admins: readonly TestKey[]
  readonly witness: TestWitness
  /** Root v1 as the org's devices get it. */
  readonly rootEnvelopes: readonly string[]
  /** `authorization` header of the org's API key. */
  readonly auth: { readonly authorization: string }
}

/** Options of {@link createTestOrg}. */
export interface TestOrgOptions {
  readonly org?: string
  readonly admins?: number
  readonly commandThreshold?: number
  readonly maxCommandValiditySeconds?: number
  /** Listen on 127.0.0.1:0 (for WebSocket tests). */
  readonly listen?: boolean
}

/**
 * A migrated app with every route, and an org set up through the API: root
 * v1 signed by its admins, one witness, the first API key.
 */
export async function createTestOrg(t: Cleanup, options: TestOrgOptions = {}): Promise<TestOrg> {
  const dir = mkdtempSync(join(TEST_TMP, 'palisade-server-test-'))
  const made = await testDatabase('org')
  const config = testConfig(dir, { ...made.env, ...(options.listen === true ? { PALISADE_LISTEN: '127.0.0.1:0' } : {}) })
  const db = await openDatabase(config.databaseUrl)
  const { logger, lines } = captureLogger('info')
  const routes = ROUTES.includes(setupRoutes) ? ROUTES : [...ROUTES, setupRoutes]
  const app = buildApp({ config, db, logger, routes })
  t.after(async () => {
    await app.close()
    await made.drop()
    rmSync(dir, { recursive: true, force: true })
  })
  if (options.listen === true) await app.listen({ host: '127.0.0.1', port: 0 })
  else await app.ready()

  const witness = await startWitness(t)
  const base = { app, db, config, lines, witness }
  return addOrg(base, options.org ?? 'acme', options)
}

/**
 * Sets up one more org on the same server (and witness): root v1 signed by
 * fresh admins, the first API key.
 */
export async function addOrg(
  base: Pick<TestOrg, 'app' | 'db' | 'config' | 'lines' | 'witness'>,
  org: string,
  options: TestOrgOptions = {},
): Promise<TestOrg> {
  const { app, db, witness } = base
  const admins = Array.from({ length: options.admins ?? 3 }, (_, i) => testKey(`admin${i}`))
  const setupCode = await createSetupCode(db)
  const logKey = await post(app, '/v1/setup/log-key', { setupCode, org })
  const now = Math.floor(Date.now() / 1000)
  const root = {
    type: ROOT_TYPE,
    org,
    version: 1,
    issuedAt: now - 60,
    expiresAt: now + 365 * 86400,
    admins: admins.map((a) => ({ id: a.id, name: a.name, publicKey: toBase64(a.pub) })),
    thresholds: { command: options.commandThreshold ?? 2, policy: 2, root: 2, device: 1 },
    witnesses: { quorum: 1, keys: [witness.vkey] },
    log: { origin: logKey['origin'], key: logKey['logKey'] },
    maxCommandValiditySeconds: options.maxCommandValiditySeconds ?? 86400,
    frozen: false,
  }
  const signed = await dsse.signEnvelope(ROOT_PAYLOAD_TYPE, canonicalJsonBytes(root), admins.slice(0, 2).map((a) => dsse.ed25519Signer(a.id, a.seed)))
  const rootEnvelope = dsse.formatEnvelope(signed)
  const created = await post(app, '/v1/setup', { setupCode, root: rootEnvelope, witnesses: [{ key: witness.vkey, url: witness.url }] }, 201)
  const apiKey = String(created['apiKey'])
  return {
    ...base,
    org,
    fingerprint: String(created['fingerprint']),
    apiKey,
    admins,
    rootEnvelopes: [rootEnvelope],
    auth: { authorization: `Bearer ${apiKey}` },
  }
}

/** POSTs JSON and returns the parsed answer, failing unless the status is `status`. */
export async function post(app: FastifyInstance, url: string, body: unknown, status = 200, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  const res = await app.inject({ method: 'POST', url, payload: body as object, headers })
  if (res.statusCode !== status) throw new Error(`POST ${url}: expected ${status}, got ${res.statusCode}: ${res.body}`)
  return res.json()
}

/** A device enrolled through an enrollment token, with its key. */
export interface TestDevice {
  readonly id: string
  readonly key: TestKey
  readonly hostname: string
}

/** Creates a token and enrolls a device with a fresh key. */
export async function enrollDevice(o: TestOrg, hostname = `host-${randomBytes(3).toString('hex')}`): Promise<TestDevice> {
  const token = await post(o.app, `/v1/orgs/${o.org}/enrollment-tokens`, {}, 201, o.auth)
  const key = testKey(hostname)
  const enrolled = await post(o.app, '/v1/enroll', { token: token['token'], publicKey: toBase64(key.pub), hostname }, 201)
  return { id: String(enrolled['deviceId']), key, hostname }
}

/** A command payload object of `org` (valid now for an hour, targets all). */
export function commandPayload(org: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    type: COMMAND_TYPE,
    org,
    id: `cmd-${randomBytes(6).toString('hex')}`,
    script: 'echo hello',
    interpreter: 'sh',
    timeoutSeconds: 60,
    runAs: 'root',
    targets: { kind: 'all' },
    notBefore: now - 60,
    notAfter: now + 3600,
    nonce: toBase64(new Uint8Array(randomBytes(16))),
    ...over,
  }
}

/** An admin's signature (base64) over the DSSE PAE of the payload bytes (base64, as the API returns them). */
export function signPayload(admin: TestKey, payloadB64: string): string {
  return toBase64(nodeSign(admin.seed, dsse.pae(COMMAND_PAYLOAD_TYPE, fromBase64(payloadB64))))
}

/** Drafts a command and returns its id and payload (base64). */
export async function draftCommand(o: TestOrg, over: Record<string, unknown> = {}, targetIds?: string[]): Promise<{ id: string; payload: string }> {
  const body = targetIds === undefined ? { payload: commandPayload(o.org, over) } : { payload: commandPayload(o.org, over), targetIds }
  const created = await post(o.app, `/v1/orgs/${o.org}/commands`, body, 201, o.auth)
  return { id: String(created['id']), payload: String(created['payload']) }
}

/** Signs command `id` with `admins`, one request each, in order; returns the last answer. */
export async function approve(o: TestOrg, command: { id: string; payload: string }, admins = o.admins.slice(0, 2)): Promise<Record<string, any>> {
  let last: Record<string, any> = {}
  for (const a of admins) {
    last = await post(o.app, `/v1/orgs/${o.org}/commands/${command.id}/signatures`, { keyid: a.id, sig: signPayload(a, command.payload) }, 200, o.auth)
  }
  return last
}
