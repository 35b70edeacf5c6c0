/**
 * Org setup routes (docs/WIRE.md "Setup and org"), authenticated by the
 * one-time setup code the server printed at its first start. The answers
 * are untrusted: the caller checks the log key's name and origin, and the
 * fingerprint the server reports against the one it computed itself.
 */
import { ID_RE, ORG_ID_RE } from '@palisade/protocol'
import type { ApiClient } from './client.js'
import { object, optional, string } from './shape.js'

/** The org's log identity as the server reports it. */
export interface LogKeyAnswer {
  readonly org: string
  readonly origin: string
  /** C2SP verifier key (Ed25519, type 0x01) whose name is the origin. */
  readonly logKey: string
}

/** What the server answers once the org exists. */
export interface SetupAnswer {
  readonly org: string
  readonly fingerprint: string
  /** The first admin API key: a secret, shown once. */
  readonly apiKey: string
  /** The console account created as the org's owner, when one was sent. */
  readonly owner?: { readonly id: string; readonly username: string }
}

/** The first console account, made owner of the org at setup. The password is a secret: sent once, never printed. */
export interface SetupOwner {
  readonly username: string
  readonly email: string
  readonly name: string
  readonly password: string
}

/** A witness the server will ask for cosignatures. */
export interface WitnessEndpoint {
  /** cosignature/v1 verifier key. */
  readonly key: string
  readonly url: string
}

/** `POST /v1/setup/log-key`: creates (or returns) the log key of the org being set up. */
export function requestLogKey(api: ApiClient, setupCode: string, org: string): Promise<LogKeyAnswer> {
  return api.post('/v1/setup/log-key', { setupCode, org }, (body) => {
    const o = object(body, 'answer')
    return {
      org: string(o['org'], 'org', ORG_ID_RE),
      origin: string(o['origin'], 'origin', undefined, 256),
      logKey: string(o['logKey'], 'logKey', undefined, 1024),
    }
  })
}

/** `POST /v1/setup`: creates the org from root v1 (DSSE envelope JSON text), and its owner account when `owner` is given. */
export function completeSetup(
  api: ApiClient,
  setupCode: string,
  rootEnvelope: string,
  witnesses: readonly WitnessEndpoint[],
  owner?: SetupOwner,
): Promise<SetupAnswer> {
  const request = owner === undefined ? { setupCode, root: rootEnvelope, witnesses } : { setupCode, root: rootEnvelope, witnesses, owner }
  return api.post('/v1/setup', request, (body) => {
    const o = object(body, 'answer')
    const created = optional(o['owner'], (v) => {
      const ow = object(v, 'owner')
      return { id: string(ow['id'], 'owner.id', ID_RE), username: string(ow['username'], 'owner.username', undefined, 64) }
    })
    return {
      org: string(o['org'], 'org', ORG_ID_RE),
      fingerprint: string(o['fingerprint'], 'fingerprint', /^[0-9a-f]{64}$/),
      apiKey: string(o['apiKey'], 'apiKey', /^[\x21-\x7e]{16,512}$/),
      ...(created === undefined ? {} : { owner: created }),
    }
  })
}
