/**
 * The last step of first-run setup, shared by both paths (root v1 signed in
 * this browser, or a draft signed with the CLI): POST /v1/setup with the
 * owner account, a check that the server set up exactly the root this
 * browser verified, the fingerprint pinned here, and the owner signed in.
 */
import { dsse } from '@palisade/protocol'
import { api } from '../api/http'
import { rememberSession } from '../api/session'
import type { LoginAnswer } from '../api/types'
import { pinFingerprint } from '../trust/pin'

/** The console account that becomes the org's owner. */
export interface OwnerAccount {
  readonly username: string
  readonly email: string
  readonly name: string
  readonly password: string
}

/** What setup answered: the API key is shown once. */
export interface CreatedOrg {
  readonly org: string
  readonly fingerprint: string
  readonly apiKey: string
  /** False when the org exists but signing in failed (the owner signs in on the sign-in page). */
  readonly signedIn: boolean
}

/**
 * Creates the org on the server. Throws the server's problem (503 naming
 * each witness that refused: fix it and call again with the same root).
 *
 * @example
 * const done = await createOrg({ setupCode, envelope, fingerprint, org: 'acme', witnesses }, owner)
 */
export async function createOrg(
  setup: { setupCode: string; envelope: dsse.Envelope; fingerprint: string; org: string; witnesses: readonly { url: string; key: string }[] },
  owner: OwnerAccount,
): Promise<CreatedOrg> {
  const answer = await api<{ org: string; fingerprint: string; apiKey: string }>('POST', '/v1/setup', {
    setupCode: setup.setupCode,
    root: dsse.formatEnvelope(setup.envelope),
    witnesses: setup.witnesses,
    owner,
  })
  if (answer.fingerprint !== setup.fingerprint || answer.org !== setup.org) {
    throw new Error(`the server reports org ${answer.org} with fingerprint ${answer.fingerprint}, not the root this browser verified: do not use this server`)
  }
  pinFingerprint(answer.org, answer.fingerprint)
  let signedIn = true
  try {
    const login = await api<LoginAnswer>('POST', '/v1/auth/login', { username: owner.username, password: owner.password })
    rememberSession(login.csrfToken)
  } catch {
    signedIn = false
  }
  return { ...answer, signedIn }
}
