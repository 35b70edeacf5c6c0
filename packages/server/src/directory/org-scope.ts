/**
 * The one place where the directory's routes learn in which org they act
 * and record what they changed, on top of the access hook
 * (auth/access-hook.ts): every directory route declares
 * `config: { access: orgAccess(…), audit: { action, target } }`, the hook
 * accepts the caller in `:org` (else 404, as for an org that does not
 * exist) or refuses the permission (403) before a handler runs. A change
 * records its success event in its own transaction (withAuditedTransaction);
 * the audit hook records refusals and failures before the answer leaves.
 */
import type { FastifyRequest } from 'fastify'
import { orgOf } from '../auth/request-principal.js'

/**
 * The org a request acts in, as the access hook authorised it.
 *
 * @example
 * const org = orgIdOf(request)
 */
export function orgIdOf(request: FastifyRequest): string {
  return orgOf(request)
}

/**
 * Names what a mutation created, for its audit event (without it the
 * audit hook uses the `:id` param).
 *
 * @example
 * setAuditTarget(request, row.id)
 */
export function setAuditTarget(request: FastifyRequest, id: string): void {
  request.auditTarget = id
}
