/**
 * The server base URL an agent is enrolled with, and the gateway URL
 * derived from it. Validated once, at the edge (enroll, device.json).
 */
import { AgentError } from '../errors.js'

/**
 * Parses a server base URL: http or https, a host, no credentials, query
 * or fragment. Returns it without a trailing slash.
 *
 * @example
 * parseServerUrl('https://palisade.example.com/') // 'https://palisade.example.com'
 */
export function parseServerUrl(value: string): string {
  const bad = (why: string): never => {
    throw new AgentError('AGENT_ARG_INVALID', `invalid server URL: ${why}`)
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return bad('not a URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') bad('only http:// and https:// are supported')
  if (url.hostname === '') bad('the host is missing')
  // never echo the URL here: a token pasted into it must not reach a log
  if (url.username !== '' || url.password !== '') bad('credentials do not belong in the URL')
  if (url.search !== '' || url.hash !== '') bad('a query or fragment is not allowed')
  return url.href.replace(/\/+$/, '')
}

/**
 * The agent gateway URL for a server base URL: http → ws, https → wss,
 * path + /v1/agent (docs/WIRE.md).
 *
 * @example
 * gatewayUrl('https://p.example.com') // 'wss://p.example.com/v1/agent'
 */
export function gatewayUrl(server: string): string {
  const url = new URL(`${server}/v1/agent`)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return url.href
}
