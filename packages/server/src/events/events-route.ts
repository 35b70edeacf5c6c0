/**
 * GET /v1/orgs/:org/events — server-sent events (text/event-stream) telling
 * the console what changed in the org (org-events.ts): `event: <kind>` and
 * `data: {"id": …}`. The console refetches what it shows on each event.
 *
 * Bounds, so that one caller cannot hold the server's streams or memory:
 * - open streams are capped per principal (a session or an API key: 429
 *   SRV_RATE_LIMITED), per org and per server (503 SRV_UNAVAILABLE);
 * - a stream whose socket write buffer passes {@link STREAM_MAX_BUFFERED_BYTES}
 *   (a client that does not read: `write()` returned false and kept
 *   queueing) is closed; EventSource reconnects and refetches;
 * - every {@link CREDENTIAL_RECHECK_MS} the credential that opened the
 *   stream is resolved again (stream-credential.ts), without refreshing its
 *   last use; a revoked or expired session or key, or an admin who lost the
 *   role, ends the stream;
 * - streams end after {@link STREAM_MAX_MS} anyway; the reconnect passes
 *   the access check again.
 * A comment line every {@link HEARTBEAT_MS} keeps proxies from closing an
 * idle stream.
 */
import type { Principal } from '../auth/access.js'
import { orgAccess } from '../auth/access.js'
import { SESSION_POLICY, type SessionPolicy } from '../auth/session-policy.js'
import { ServerError } from '../errors.js'
import { NO_QUERY } from '../http/schemas.js'
import { ORG_PARAMS } from '../commands/route-params.js'
import type { RouteContext, RoutePlugin } from '../routes/route-context.js'
import type { OrgEvent, OrgEvents } from './org-events.js'
import { credentialStillGrants } from './stream-credential.js'

/** How long one stream lives before the client must reconnect (and be re-authorised). */
export const STREAM_MAX_MS = 5 * 60_000
/** Interval of keep-alive comments. */
export const HEARTBEAT_MS = 15_000
/** How often a stream's credential is resolved again. */
export const CREDENTIAL_RECHECK_MS = 15_000
/** Bytes queued on a stream's socket beyond which it is closed (a client that does not read). */
export const STREAM_MAX_BUFFERED_BYTES = 256 * 1024

/** Tuning of {@link eventsRoute}; tests shorten it. */
export interface EventsRouteOptions {
  /** The hub (default: the gateway's). */
  readonly pick?: (ctx: Pick<RouteContext, 'gateway'>) => OrgEvents
  readonly recheckMs?: number
  readonly maxBufferedBytes?: number
  readonly sessionPolicy?: SessionPolicy
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number
}

/** Formats one event as an SSE frame. */
export function formatSse(event: OrgEvent): string {
  return `event: ${event.kind}\ndata: ${JSON.stringify(event.id === undefined ? {} : { id: event.id })}\n\n`
}

/**
 * The events route over the gateway's hub (or `options.pick`'s).
 *
 * @example
 * app.register(eventsRoute(), ctx)
 */
export function eventsRoute(options: EventsRouteOptions = {}): RoutePlugin {
  const recheckMs = options.recheckMs ?? CREDENTIAL_RECHECK_MS
  const maxBuffered = options.maxBufferedBytes ?? STREAM_MAX_BUFFERED_BYTES
  const policy = options.sessionPolicy ?? SESSION_POLICY
  const now = options.now ?? Date.now
  return async function eventsPlugin(app, ctx) {
    const events = (options.pick ?? ((c) => c.gateway.events))(ctx)
    // Open streams are not idle connections: end them at shutdown, or the
    // server would wait for them (up to STREAM_MAX_MS) before closing.
    const open = new Set<() => void>()
    app.addHook('preClose', async () => {
      for (const end of [...open]) end()
    })
    app.get(
      '/v1/orgs/:org/events',
      {
        config: { access: orgAccess('read') },
        schema: { params: ORG_PARAMS, querystring: NO_QUERY, response: { 200: { type: 'string' } } },
      },
      async (request, reply) => {
        const { org } = request.params as { org: string }
        const raw = reply.raw
        const send = (text: string): void => {
          if (raw.destroyed || raw.writableEnded) return
          raw.write(text)
          // write() returned false long ago and the client still does not read: give up on it.
          if (raw.writableLength > maxBuffered) {
            request.log.warn({ org, buffered: raw.writableLength }, 'closing an event stream whose client does not read')
            raw.destroy()
          }
        }
        const sub = events.subscribe(org, (e) => send(formatSse(e)), principalKey(request.principal))
        if (sub === 'principal') {
          throw new ServerError('SRV_RATE_LIMITED', 'this credential already holds the most live event streams allowed; close one first', { headers: { 'retry-after': '5' } })
        }
        if (typeof sub !== 'function') {
          throw new ServerError('SRV_UNAVAILABLE', `too many live streams on this ${sub === 'org' ? 'organisation' : 'server'}; retry later`, { headers: { 'retry-after': '5' } })
        }
        const unsubscribe = sub
        reply.hijack()
        raw.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        })
        // retry: how long EventSource waits before reconnecting (ms)
        send('retry: 2000\n: connected\n\n')
        const heartbeat = setInterval(() => send(': keep-alive\n\n'), HEARTBEAT_MS)
        const finish = (): void => void raw.end()
        const timer = setTimeout(finish, STREAM_MAX_MS)
        let checking = false
        const recheck = setInterval(() => {
          if (checking) return
          checking = true
          credentialStillGrants(ctx.db, request.headers, org, now(), policy)
            .then((ok) => {
              if (!ok) finish()
            })
            .catch((e: unknown) => {
              // fail closed: a stream whose credential cannot be checked ends (the client reconnects through the access hook)
              request.log.warn({ org, err: (e as Error).message }, 'cannot re-check an event stream\'s credential; closing it')
              finish()
            })
            .finally(() => (checking = false))
        }, recheckMs)
        heartbeat.unref()
        timer.unref()
        recheck.unref()
        open.add(finish)
        raw.once('close', () => {
          clearInterval(heartbeat)
          clearInterval(recheck)
          clearTimeout(timer)
          unsubscribe()
          open.delete(finish)
        })
        request.raw.once('close', finish)
      },
    )
  }
}

/** A stable id of the credential behind a request, for the per-principal cap. */
function principalKey(p: Principal): string {
  switch (p.kind) {
    case 'admin':
      return `session:${p.sessionId}`
    case 'api-key':
      return `key:${p.apiKeyId}`
    case 'device':
      return `device:${p.deviceId}`
    case 'anonymous':
      return 'anonymous'
  }
}
