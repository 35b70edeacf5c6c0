/**
 * Every route plugin of the server, registered in this order by buildApp.
 * To add an area: write `routes/<area>.ts` exporting a {@link RoutePlugin}
 * and append it here.
 */
import { healthzRoute } from './healthz.js'
import type { RoutePlugin } from './route-context.js'

/** The route plugins buildApp registers. */
export const ROUTES: readonly RoutePlugin[] = Object.freeze([healthzRoute])
