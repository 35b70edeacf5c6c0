/**
 * No privilege escalation through API keys: a key may only grant what its
 * creator holds. A console admin's role must grant every permission of
 * every scope asked for; an API key creating a key must itself hold
 * scopes granting them. Pure, over the tables of auth/access.ts.
 */
import { ROLE_PERMISSIONS, SCOPE_PERMISSIONS, scopesGrant, type Principal, type Scope } from '../auth/access.js'

/**
 * The first scope of `wanted` that `creator` may not grant, or undefined
 * when it may grant them all.
 *
 * @example
 * ungrantableScope({ kind: 'api-key', scopes: ['devices'], … }, ['read', 'admin']) // 'admin'
 */
export function ungrantableScope(creator: Principal, wanted: readonly Scope[]): Scope | undefined {
  const holds = (p: (typeof SCOPE_PERMISSIONS)[Scope][number]): boolean => {
    if (creator.kind === 'admin') return creator.role !== null && ROLE_PERMISSIONS[creator.role].includes(p)
    if (creator.kind === 'api-key') return scopesGrant(creator.scopes, p)
    return false
  }
  return wanted.find((s) => !SCOPE_PERMISSIONS[s].every(holds))
}
