/**
 * Root rotation on the server (docs/WIRE.md "Setup and org"):
 * `POST /v1/orgs/:org/roots { envelope, witnesses? }` → `{ version }`.
 * The server verifies the rotation with protocol `verifyRootUpdate`, logs
 * it and publishes a cosigned checkpoint; its answer is only a claim, so
 * the caller fetches the chain again and verifies it from the pin.
 */
import type { WitnessEndpoint } from './setup-api.js'
import type { OrgSession } from './session.js'
import { integer, object } from './shape.js'

/**
 * Uploads root vN+1 (DSSE envelope JSON text) with the URLs of the
 * witnesses it adds; returns the version the server says it stored.
 *
 * @example
 * const { version } = await postRoot(session, envelopeText, [])
 */
export function postRoot(s: OrgSession, envelope: string, witnesses: readonly WitnessEndpoint[]): Promise<{ version: number }> {
  const body = witnesses.length === 0 ? { envelope } : { envelope, witnesses: witnesses.map((w) => ({ key: w.key, url: w.url })) }
  return s.api.post(s.path('/roots'), body, (answer) => ({ version: integer(object(answer, 'answer')['version'], 'version', 1) }))
}
