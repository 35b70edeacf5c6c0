/**
 * Every route plugin of the server, registered in this order by buildApp.
 * To add an area: write `routes/<area>.ts` exporting a {@link RoutePlugin}
 * and append it here.
 */
import { healthzRoute } from './healthz.js'
import { alertsRoutes } from '../alerts/alerts-route.js'
import { commandsRoutes } from '../commands/commands-route.js'
import { devicesRoutes } from '../devices/devices-route.js'
import { enrollRoute } from '../enroll/enroll-route.js'
import { enrollmentTokensRoute } from '../enroll/enrollment-tokens-route.js'
import { gatewayRoute } from '../gateway/gateway-route.js'
import { logRoutes } from '../log/routes.js'
import { rootsRoutes } from '../roots/routes.js'
import { setupRoutes } from '../setup/routes.js'
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
])
