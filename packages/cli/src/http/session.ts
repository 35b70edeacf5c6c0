/**
 * An admin's session with one org on one server: the server URL of the
 * invocation, and the org and API key from the config (written by
 * `palisade org init` or `palisade login`).
 *
 * The API key is a bearer credential for the server it was issued by. When
 * the invocation names another server (--server, $PALISADE_SERVER) than
 * the config's, the key is not sent there: a typo in a URL must not hand
 * the key to whoever answers at it.
 */
import type { Invocation } from '../context.js'
import { CliError } from '../errors.js'
import { ApiClient } from './client.js'

/** What an org-scoped command works with. */
export interface OrgSession {
  readonly api: ApiClient
  readonly server: string
  readonly org: string
  /** `/v1/orgs/<org>` followed by `rest` (whose parts the caller encodes with `segment`). */
  path(rest: string): string
}

/**
 * Opens the session of the invocation, or throws CLI_LOGIN_REQUIRED.
 *
 * @example
 * const s = await openOrgSession(inv)
 * const devices = await s.api.get(s.path('/devices'), readDevices)
 */
export async function openOrgSession(inv: Invocation): Promise<OrgSession> {
  const server = await inv.serverUrl()
  const config = await inv.config()
  if (config.orgId === undefined || config.apiToken === undefined) {
    throw new CliError('CLI_LOGIN_REQUIRED', `no org and API key in the config of ${inv.home}`)
  }
  if (config.server !== undefined && config.server !== server) {
    throw new CliError('CLI_LOGIN_REQUIRED', `the API key in the config is for ${config.server}, not ${server}; it is not sent elsewhere`, {
      hint: `drop --server / $PALISADE_SERVER to use ${config.server}, or log in to ${server} with \`palisade login\``,
    })
  }
  return orgSession(new ApiClient({ server, apiKey: config.apiToken }), config.orgId)
}

/** A session over an existing client (for `login`, which checks a key before saving it). */
export function orgSession(api: ApiClient, org: string): OrgSession {
  return Object.freeze({ api, server: api.server, org, path: (rest: string) => `/v1/orgs/${segment(org)}${rest}` })
}

/** One URL path segment, percent-encoded. */
export function segment(value: string): string {
  return encodeURIComponent(value)
}
