/**
 * Monitor URLs of an org root (`root.monitors`): where agents send every
 * rejection and alert they sign, so that a breached server cannot be the
 * only one to hear of them (DESIGN.md G6). An agent POSTs to
 * `<url>/palisade/v1/reports`, so a URL names a base, never a query.
 *
 * One spelling per URL, checked by hand (protocol has no URL parser, and
 * two parsers must never disagree about a signed value):
 *
 *     https://<host>[:<port>][/<path>]      any host
 *     http://<host>[:<port>][/<path>]       loopback hosts only: localhost, 127.0.0.0/8, [::1]
 *
 * The scheme and host are lower case; the host is a DNS name, a dotted IPv4
 * address or `[::1]`; the port is decimal 1..65535 without leading zeros;
 * the path has no empty segment and no trailing slash; no credentials,
 * query or fragment; at most 2048 characters. Plain http is for a monitor
 * on the device itself: anywhere else a network attacker (A3) could read
 * or drop the reports.
 *
 * Trusts nothing; the root that lists the URLs is verified elsewhere.
 */
import { fail } from '../errors.js'

/** Longest monitor URL. */
export const MONITOR_URL_MAX_LENGTH = 2048

const URL_RE = /^(https?):\/\/([^/?#]*)((?:\/[^/?#]*)*)$/
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
const DNS_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`)
const IPV4_RE = /^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}$/
const PORT_RE = /^[1-9][0-9]{0,4}$/
// RFC 3986 pchar: unreserved, pct-encoded, sub-delims, ':' and '@'
const SEGMENT_RE = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})+$/

/**
 * Checks one monitor URL and returns it unchanged; PROTO_MALFORMED (or
 * PROTO_TOO_LARGE) naming `where` otherwise.
 *
 * @example
 * parseMonitorUrl('https://monitor.example.com/acme', 'root.monitors[0]') // 'https://monitor.example.com/acme'
 * parseMonitorUrl('http://203.0.113.7', 'root.monitors[0]')             // throws: http only for loopback hosts
 */
export function parseMonitorUrl(value: unknown, where: string): string {
  if (typeof value !== 'string') fail('PROTO_MALFORMED', `${where} must be a string`)
  if (value.length > MONITOR_URL_MAX_LENGTH) fail('PROTO_TOO_LARGE', `${where} is longer than ${MONITOR_URL_MAX_LENGTH} characters`)
  const m = URL_RE.exec(value)
  if (m === null) {
    fail('PROTO_MALFORMED', `${where} must be an absolute http(s) URL in lower case, without query or fragment`)
  }
  const [, scheme, authority, path] = m as unknown as [string, string, string, string]
  if (authority.includes('@')) fail('PROTO_MALFORMED', `${where} must not carry credentials`)
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority)!
  const host = hostPort[1]!
  const port = hostPort[2]
  if (port !== undefined && (!PORT_RE.test(port) || Number(port) > 65535)) {
    fail('PROTO_MALFORMED', `${where} has a port that is not a decimal from 1 to 65535`)
  }
  const ipv4 = IPV4_RE.test(host)
  if (ipv4 && host.split('.').some((o) => Number(o) > 255)) fail('PROTO_MALFORMED', `${where} has an IPv4 address with an octet over 255`)
  if (!(ipv4 || host === '[::1]' || DNS_RE.test(host)) || host.length > 253) {
    fail('PROTO_MALFORMED', `${where} needs a lower-case DNS name, a dotted IPv4 address or [::1] as its host`)
  }
  if (path !== '' && !path.slice(1).split('/').every((s) => SEGMENT_RE.test(s))) {
    fail('PROTO_MALFORMED', `${where} has an empty path segment, a trailing slash or a character that must be percent-encoded`)
  }
  if (scheme === 'http' && !isLoopbackHost(host)) {
    fail('PROTO_MALFORMED', `${where} must use https:// (http:// is allowed only for localhost, 127.0.0.0/8 and [::1])`)
  }
  return value
}

/** True for localhost, 127.0.0.0/8 and [::1], as parseMonitorUrl spells hosts. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || (IPV4_RE.test(host) && host.startsWith('127.'))
}
