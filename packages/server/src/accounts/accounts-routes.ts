/**
 * The console accounts area: login/logout, MFA, password change, sessions,
 * the admins of an org, invitations and org settings. One plugin, so the areas share
 * one clock, one login rate limiter and one sealing key.
 *
 * The sealing key is loaded (or, on first start, created) when the plugin
 * registers, so a missing or unsafe key file stops the server at startup
 * (secret-key-file.ts), not at the first MFA enrolment.
 */
import type { RoutePlugin } from '../routes/route-context.js'
import { SESSION_POLICY, type SessionPolicy } from '../auth/session-policy.js'
import type { AccountsDeps } from './accounts-deps.js'
import { adminsRoutes } from './admins-routes.js'
import { invitationsRoutes } from './invitations-routes.js'
import { LoginRateLimiter, type LoginRateLimitOptions } from './login-rate-limit.js'
import { loginRoutes } from './login-routes.js'
import { mfaRoutes } from './mfa-routes.js'
import { orgSettingsRoutes } from './org-settings-routes.js'
import { passwordRoute } from './password-route.js'
import { loadSecretBox } from './secret-key-file.js'
import { sessionsRoutes } from './sessions-routes.js'

/** Options of {@link accountsRoutes} (tests inject a clock and limits). */
export interface AccountsRoutesOptions {
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number
  /** Session lifetimes (default SESSION_POLICY, as the access hook uses). */
  readonly sessionPolicy?: SessionPolicy
  /** Per-address login rate limit (default 20 a minute). */
  readonly rateLimit?: LoginRateLimitOptions
}

/**
 * The accounts route plugin.
 *
 * @example
 * buildApp({ config, db, routes: [...ROUTES.filter((r) => r !== defaultAccounts), accountsRoutes({ now: clock })] })
 */
export function accountsRoutes(options: AccountsRoutesOptions = {}): RoutePlugin {
  // Named, so tests can swap the registered instance for one with their clock.
  return async function accountsPlugin(app, { db, config }) {
    const deps: AccountsDeps = Object.freeze({
      db,
      now: options.now ?? Date.now,
      policy: options.sessionPolicy ?? SESSION_POLICY,
      box: await loadSecretBox(config),
      limiter: new LoginRateLimiter(options.rateLimit),
    })
    loginRoutes(app, deps)
    mfaRoutes(app, deps)
    passwordRoute(app, deps)
    sessionsRoutes(app, deps)
    adminsRoutes(app, deps)
    invitationsRoutes(app, deps)
    orgSettingsRoutes(app, deps)
  }
}
