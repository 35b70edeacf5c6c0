/**
 * Test support for orgs (not a test file itself): admin keys, root
 * documents signed as the CLI would sign them, and a helper that runs the
 * whole setup flow against an app.
 */
import { createHash } from 'node:crypto'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { canonicalJsonBytes, dsse, keyId, nodePublicKey, ROOT_PAYLOAD_TYPE, ROOT_TYPE, toBase64 } from '@palisade/protocol'
import type { Database } from '../db/schema.js'
import type { TestWitness } from '../witness-client/test-witness.test.helper.js'
import { createSetupCode } from './setup-code.js'

/** An admin key pair. */
export interface Admin {
  readonly name: string
  readonly seed: Uint8Array
  readonly pub: Uint8Array
  readonly id: string
}

/** A deterministic admin key. */
export function admin(label: string): Admin {
  const seed = new Uint8Array(createHash('sha256').update(`admin/${label}`).digest())
  const pub = nodePublicKey(seed)
  return { name: label, seed, pub, id: keyId(pub) }
}

/** What a root says, in test terms. */
export interface RootSpec {
  readonly org: string
  readonly version?: number
  readonly admins: readonly Admin[]
  /** Root threshold (others follow it); default 2. */
  readonly threshold?: number
  readonly witnessKeys: readonly string[]
  readonly quorum: number
  readonly origin: string
  readonly logKey: string
  readonly expiresAt?: number
}

/** The root payload object. */
export function rootPayload(spec: RootSpec): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  const t = spec.threshold ?? 2
  return {
    type: ROOT_TYPE,
    org: spec.org,
    version: spec.version ?? 1,
    issuedAt: now - 60,
    expiresAt: spec.expiresAt ?? now + 365 * 86400,
    admins: spec.admins.map((a) => ({ id: a.id, name: a.name, publicKey: toBase64(a.pub) })),
    thresholds: { command: t, policy: t, root: t, device: 1 },
    witnesses: { quorum: spec.quorum, keys: [...spec.witnessKeys] },
    log: { origin: spec.origin, key: spec.logKey },
    maxCommandValiditySeconds: 86400,
    frozen: false,
  }
}

/** Signs a root payload with `signers`; returns the DSSE envelope JSON. */
export async function signRoot(payload: Record<string, unknown>, signers: readonly Admin[]): Promise<string> {
  const env = await dsse.signEnvelope(ROOT_PAYLOAD_TYPE, canonicalJsonBytes(payload), signers.map((a) => dsse.ed25519Signer(a.id, a.seed)))
  return dsse.formatEnvelope(env)
}

/** An org made through the API. */
export interface TestOrg {
  readonly org: string
  readonly apiKey: string
  readonly fingerprint: string
  readonly origin: string
  readonly logKey: string
  readonly admins: readonly Admin[]
  readonly witnesses: readonly TestWitness[]
  readonly quorum: number
  readonly rootJson: string
  /** Authorization header for the org's API key. */
  readonly auth: { readonly authorization: string }
}

/** Asks the app for the org's log key with `code` (asserting success). */
export async function requestLogKey(app: FastifyInstance, code: string, org: string): Promise<{ origin: string; logKey: string }> {
  const res = await app.inject({ method: 'POST', url: '/v1/setup/log-key', payload: { setupCode: code, org } })
  assert.equal(res.statusCode, 200, res.body)
  return res.json() as { origin: string; logKey: string }
}

/**
 * The whole setup flow: a fresh setup code, the log key, witnesses told
 * about the log, root v1 signed by the first two admins, POST /v1/setup.
 */
export async function setupOrg(
  app: FastifyInstance,
  db: Kysely<Database>,
  options: { org: string; witnesses: readonly TestWitness[]; quorum?: number; admins?: readonly Admin[] },
): Promise<TestOrg> {
  const admins = options.admins ?? [admin(`${options.org}-alice`), admin(`${options.org}-bob`), admin(`${options.org}-carol`)]
  const quorum = options.quorum ?? options.witnesses.length
  const code = await createSetupCode(db)
  const { origin, logKey } = await requestLogKey(app, code, options.org)
  for (const w of options.witnesses) w.addLog(logKey)
  const rootJson = await signRoot(
    rootPayload({ org: options.org, admins, witnessKeys: options.witnesses.map((w) => w.key), quorum, origin, logKey }),
    admins.slice(0, 2),
  )
  const res = await app.inject({
    method: 'POST',
    url: '/v1/setup',
    payload: { setupCode: code, root: rootJson, witnesses: options.witnesses.map((w) => ({ key: w.key, url: w.url })) },
  })
  assert.equal(res.statusCode, 201, res.body)
  const { org, apiKey, fingerprint } = res.json() as { org: string; apiKey: string; fingerprint: string }
  return { org, apiKey, fingerprint, origin, logKey, admins, witnesses: options.witnesses, quorum, rootJson, auth: { authorization: `Bearer ${apiKey}` } }
}
