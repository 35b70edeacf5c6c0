/**
 * Every route of the directory (people, groups, membership, devices bound
 * to people), registered as one plugin by routes/index.ts.
 */
import type { RoutePlugin } from '../routes/route-context.js'
import { devicePersonRoutes } from './device-person-route.js'
import { groupsRoutes } from './groups-route.js'
import { membersRoutes } from './members-route.js'
import { peopleRoutes } from './people-route.js'

/** The directory routes. */
export const directoryRoutes: RoutePlugin = async (app, context) => {
  await peopleRoutes(app, context)
  await groupsRoutes(app, context)
  await membersRoutes(app, context)
  await devicePersonRoutes(app, context)
}
