/**
 * Every route plugin of the server, registered in this order by buildApp.
 * To add an area: write `routes/<area>.ts` exporting a {@link RoutePlugin}
 * and append it here. Every route declares `config.access` (and `config.audit`
 * unless GET/HEAD), or the app refuses to start (auth/access-policy.ts).
 */
import { healthzRoute } from './healthz.js'
import { auditRoutes } from '../audit/audit-route.js'
import { meRoute } from '../auth/me-route.js'
import { openApiRoute } from '../openapi/openapi-route.js'
import { alertsRoutes } from '../alerts/alerts-route.js'
import { commandsRoutes } from '../commands/commands-route.js'
import { devicesRoutes } from '../devices/devices-route.js'
import { directoryRoutes } from '../directory/directory-routes.js'
import { enrollRoute } from '../enroll/enroll-route.js'
import { enrollmentTokensRoute } from '../enroll/enrollment-tokens-route.js'
import { gatewayRoute } from '../gateway/gateway-route.js'
import { logRoutes } from '../log/routes.js'
import { rootsRoutes } from '../roots/routes.js'
import { setupRoutes } from '../setup/routes.js'
import { consoleRoutes } from '../console/console-routes.js'
import { eventsRoute } from '../events/events-route.js'
import { accountsRoutes } from '../accounts/accounts-routes.js'
import { apiKeysRoutes } from '../api-keys/api-keys-routes.js'
import { incidentRoutes } from '../incident/incident-routes.js'
import type { RoutePlugin } from './route-context.js'

/** The route plugins buildApp registers. */
export const ROUTES: readonly RoutePlugin[] = Object.freeze([
  healthzRoute,
  enrollmentTokensRoute,
  enrollRoute,
  devicesRoutes,
  commandsRoutes,
  alertsRoutes,
  gatewayRoute,
  setupRoutes,
  rootsRoutes,
  logRoutes,
  directoryRoutes,
  meRoute,
  auditRoutes,
  openApiRoute,
  eventsRoute(),
  consoleRoutes(),
  accountsRoutes(),
  apiKeysRoutes(),
  incidentRoutes(),
])
