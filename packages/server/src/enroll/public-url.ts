/**
 * The URL agents reach this server at, for install commands: the configured
 * public URL, else the address the server listens on (the real port when it
 * was configured with port 0).
 */
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { ServerConfig } from '../config.js'

/**
 * @example
 * publicUrl(app, config) // 'https://mdm.example.com' or 'http://127.0.0.1:8080'
 */
export function publicUrl(app: FastifyInstance, config: ServerConfig): string {
  if (config.publicUrl !== null) return config.publicUrl
  const address = app.server.listening ? (app.server.address() as AddressInfo | string | null) : null
  const host = typeof address === 'object' && address !== null ? address.address : config.listen.host
  const port = typeof address === 'object' && address !== null ? address.port : config.listen.port
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}
