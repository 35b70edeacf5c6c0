/**
 * GET /v1/agent — the agent gateway's WebSocket endpoint (WIRE.md). No API
 * key: agents authenticate in-band with their device key (challenge,
 * hello). @fastify/websocket is registered here, in this plugin's scope
 * only, with:
 *
 * - perMessageDeflate off: compression costs about 20× the memory per
 *   connection (zlib contexts), and tens of thousands of agents connect;
 * - maxPayload 4 MiB: larger messages close the connection (1009) before
 *   they are buffered.
 */
import websocket from '@fastify/websocket'
import { DEVICE } from '../auth/access.js'
import { NO_QUERY } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { MAX_FRAME_BYTES } from './frames.js'

/** The gateway route. */
export const gatewayRoute: RoutePlugin = async (app, { gateway }) => {
  await app.register(websocket, {
    options: { maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false },
    // A socket error (oversize frame, protocol violation, reset) ends that
    // connection only; its bytes are never logged.
    errorHandler: (error, socket, request) => {
      request.log.info({ code: (error as { code?: unknown }).code }, 'agent socket error')
      socket.terminate()
    },
  })
  app.addHook('onClose', async () => {
    await gateway.close()
  })
  app.get('/v1/agent', { websocket: true, config: { access: DEVICE }, schema: { querystring: NO_QUERY } }, (socket) => {
    gateway.accept(socket)
  })
}
