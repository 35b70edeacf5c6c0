/**
 * Shapes of the server's answers the console reads (docs/WIRE.md). They
 * describe what the server claims; nothing here is verified.
 */

export type Role = 'owner' | 'admin' | 'helpdesk' | 'read-only'

export interface Me {
  readonly admin: { id: string; username: string; email: string; name: string; mfaEnabled: boolean }
  /** `mfaEnrolmentRequiredBy`: the orgs (ids) that make this session enrol TOTP before anything else. */
  readonly session: { id: string; mfa: boolean; mfaEnrolmentRequiredBy: readonly string[] }
  /** Empty until the session passed MFA. */
  readonly orgs: readonly { id: string; name: string; role: Role; requireMfa: boolean }[]
}

export interface LoginAnswer {
  readonly admin: { id: string; username: string; name: string; email: string }
  readonly csrfToken: string
  readonly mfa: boolean
  readonly expiresAt: number
  readonly idleTimeoutSeconds: number
  /** Present when the session may only enrol TOTP (orgs of the admin require it). */
  readonly mfaEnrolmentRequiredBy?: readonly string[]
}

/** An invitation addressed to the signed-in admin (GET /v1/me/invitations). */
export interface ReceivedInvitation {
  readonly id: string
  readonly org: { readonly id: string; readonly name: string }
  readonly role: Role
  readonly createdAt: number
  readonly expiresAt: number
}

/** What the inviting org sees (202 of POST /v1/orgs/:org/admins): only what it typed. */
export interface SentInvitation {
  readonly id: string
  readonly identifier: string
  readonly role: Role
  readonly expiresAt: number
}

export interface DeviceSummary {
  readonly id: string
  readonly hostname: string
  readonly enrolledAt: number
  readonly lastSeenAt: number | null
  readonly online: boolean
  readonly os: string | null
  readonly personId?: string | null
}

export interface DeviceDetail extends DeviceSummary {
  readonly publicKey: string
  readonly groups?: readonly { id: string; name: string }[]
  readonly inventory: unknown
  readonly inventoryAt: number | null
}

export interface EnrollmentToken {
  readonly token: string
  readonly expiresAt: number
  readonly fingerprint: string
  readonly installCommand: string
}

export interface CommandSummary {
  readonly id: string
  readonly status: string
  readonly createdAt: number
  readonly signatures: number
  readonly threshold: number
  readonly targets: number
  readonly done: number
}

export interface CommandResultView {
  readonly deviceId: string
  readonly status: string
  readonly exitCode: number | null
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
  readonly stdoutTruncated: boolean
  readonly stderrTruncated: boolean
  readonly startedAt: number
  readonly finishedAt: number
}

export interface CommandDetail {
  readonly id: string
  readonly status: string
  readonly payload: string
  readonly signatures: readonly { keyid: string; name: string | null }[]
  readonly threshold: number
  readonly logIndex: number | null
  readonly deliveries: readonly { deviceId: string; status: string }[]
  readonly results: readonly CommandResultView[]
}

export interface Alert {
  readonly id: string
  readonly deviceId: string | null
  readonly code: string
  readonly message: string
  readonly commandId: string | null
  readonly createdAt: number
}

export interface LogEntry {
  readonly index: number
  readonly kind: string
  readonly data: string
}

export interface Person {
  readonly id: string
  readonly username: string
  readonly email: string
  readonly name: string
  readonly status: string
  readonly sshKeys: readonly string[]
  readonly attributes: Readonly<Record<string, string>>
  readonly version: number
}

export interface Group {
  readonly id: string
  readonly kind: 'user' | 'device'
  readonly name: string
  readonly description?: string | null
  readonly memberCount?: number
  readonly version: number
}

export interface OrgAdmin {
  readonly id: string
  readonly username: string
  readonly email: string
  readonly name: string
  readonly role: Role
  readonly status: string
  readonly mfaEnabled?: boolean
  readonly version: number
}

export interface ApiKey {
  readonly id: string
  readonly name: string
  readonly prefix: string
  readonly scopes: readonly string[]
  readonly createdAt: number
  readonly createdBy: string | null
  readonly expiresAt: number | null
  readonly revokedAt: number | null
  readonly lastUsedAt: number | null
  readonly lastUsedAddr: string | null
}

export interface SessionView {
  readonly id: string
  readonly adminId?: string
  readonly username?: string
  readonly createdAt: number
  readonly lastSeenAt: number
  readonly expiresAt: number
  readonly sourceAddr: string | null
  readonly userAgent: string | null
  readonly current?: boolean
}

export interface AuditEvent {
  readonly id: string
  readonly createdAt: number
  readonly actorType: string
  readonly actorId: string | null
  readonly actorName: string | null
  readonly action: string
  readonly targetType: string | null
  readonly targetId: string | null
  readonly result: string
  readonly statusCode: number
  readonly sourceAddr: string | null
  readonly requestId: string | null
  readonly details: Readonly<Record<string, unknown>>
}
