/**
 * Org setup routes (docs/WIRE.md "Setup and org"), authenticated by the
 * one-time setup code the server printed at its first start. The answers
 * are untrusted: the caller checks the log key's name and origin, and the
 * fingerprint the server reports against the one it computed itself.
 */
import { ORG_ID_RE } from '@palisade/protocol'
import type { ApiClient } from './client.js'
import { object, string } from './shape.js'

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

/** `POST /v1/setup`: creates the org from root v1 (DSSE envelope JSON text). */
export function completeSetup(
  api: ApiClient,
  setupCode: string,
  rootEnvelope: string,
  witnesses: readonly WitnessEndpoint[],
): Promise<SetupAnswer> {
  return api.post('/v1/setup', { setupCode, root: rootEnvelope, witnesses }, (body) => {
    const o = object(body, 'answer')
    return {
      org: string(o['org'], 'org', ORG_ID_RE),
      fingerprint: string(o['fingerprint'], 'fingerprint', /^[0-9a-f]{64}$/),
      apiKey: string(o['apiKey'], 'apiKey', /^[\x21-\x7e]{16,512}$/),
    }
  })
}
