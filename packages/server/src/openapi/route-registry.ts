/**
 * Every route the app registers, collected as it registers them (an
 * `onRoute` hook), with the schemas that validate it and its access and
 * audit declarations: the single source of the OpenAPI document and of the
 * isolation test's route list, so neither can drift from the routes.
 *
 * HEAD routes are left out: they are Fastify's automatic mirrors of GET routes.
 */
import type { FastifyInstance, RouteOptions } from 'fastify'
import type { Access, AuditDecl } from '../auth/access.js'

/** A registered route. */
export interface RegisteredRoute {
  readonly method: string
  /** Fastify URL pattern, e.g. `/v1/orgs/:org/devices/:id`. */
  readonly url: string
  readonly schema: Readonly<Record<string, unknown>>
  readonly access: Access | undefined
  readonly audit: AuditDecl | undefined
  readonly websocket: boolean
}

const kRegistry = Symbol('palisade.routeRegistry')

/**
 * Starts collecting routes on `app` (call on the root instance before
 * registering any; buildApp does).
 *
 * @example
 * installRouteRegistry(app)
 * await app.ready()
 * registeredRoutes(app) // [{ method: 'GET', url: '/healthz', … }, …]
 */
export function installRouteRegistry(app: FastifyInstance): void {
  const routes: RegisteredRoute[] = []
  app.decorate(kRegistry, routes)
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as { access?: Access; audit?: AuditDecl }
    for (const method of [route.method].flat()) {
      // HEAD routes are Fastify's automatic mirrors of GET routes (we write none).
      if (method.toUpperCase() === 'HEAD') continue
      routes.push(
        Object.freeze({
          method: method.toUpperCase(),
          url: route.url,
          schema: (route.schema ?? {}) as Record<string, unknown>,
          access: config.access,
          audit: config.audit,
          websocket: (route as { websocket?: unknown }).websocket === true,
        }),
      )
    }
  })
}

/** The routes registered on `app` so far (all of them once it is ready). */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  const routes = (app as unknown as Record<symbol, RegisteredRoute[] | undefined>)[kRegistry]
  if (routes === undefined) throw new Error('registeredRoutes: installRouteRegistry was not called on this app')
  return routes
}
