/**
 * The typed shape of the server database, for Kysely (`Kysely<Database>`).
 * Must match the migrations in ./migrations exactly; migrate.test.ts
 * inserts and reads back one row of every table to keep them honest.
 *
 * Portable conventions (SQLite now, PostgreSQL for many nodes):
 * - timestamps are integer milliseconds since the epoch (`bigint` columns),
 *   read as `number` (exact up to year 287,396; the pg driver is told so in
 *   open-postgres.ts);
 * - binary is `blob` / `bytea`, read as Uint8Array (a Buffer at runtime);
 * - JSON is `text` holding a JSON document; booleans are integers 0/1;
 * - ids are text chosen by the application, never database sequences, so
 *   nodes can create rows without a round trip and ids leak no counts.
 *
 * The server is untrusted: nothing here is a secret that would let it act
 * for an admin. Stored credentials (setup codes, API keys, enrollment
 * tokens) are hashes only (DESIGN.md G5).
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely'

/** Milliseconds since the Unix epoch. */
export type Millis = number
/** A JSON document stored as text. */
export type JsonText = string

export interface OrgsTable {
  id: string
  name: string
  created_at: Millis
  /** 1: console sessions need MFA to act in this org (0004). Defaults to 0. */
  require_mfa: Generated<0 | 1>
}

/** One-time codes that let the first admin create an org; hashed. */
export interface SetupCodesTable { code_hash: string; created_at: Millis; used_at: Millis | null; org_id: string | null }

/** Every version of an org's signed root of trust (DSSE envelope as text). */
export interface RootsTable { org_id: string; version: number; envelope: string; fingerprint: string; created_at: Millis }

/** The org log's signed-note key pair (C2SP signed-note key strings) and origin line. */
export interface LogKeysTable { org_id: string; origin: string; signer_key: string; verifier_key: string; created_at: Millis }

export interface ApiKeysTable {
  id: string
  org_id: string
  name: string
  /** Visible, unique prefix of the key, for lookup and display. */
  prefix: string
  secret_hash: string
  /** JSON array of scope names. */
  scopes: JsonText
  created_at: Millis
  expires_at: Millis | null
  revoked_at: Millis | null
  last_used_at: Millis | null
  last_used_addr: string | null
  /** Who created the key: an admin id, an API key id, or null for the setup key (0004). */
  created_by: string | null
}

export interface EnrollmentTokensTable {
  id: string
  org_id: string
  token_hash: string
  created_at: Millis
  expires_at: Millis
  uses_left: number
  created_by: string
}

export interface DevicesTable {
  id: string
  org_id: string
  public_key: string
  hostname: string
  enrolled_at: Millis
  last_seen_at: Millis | null
  inventory: JsonText | null
  inventory_digest: string | null
  inventory_at: Millis | null
  /** OS name from the last inventory (0003), for device lists. */
  os: string | null
  /** Version string the agent sent in its last hello (0003). */
  agent_version: string | null
  /** Root version the agent last reported trusting (0003). */
  root_version: number | null
  /** Size of the last cosigned checkpoint the agent reported (0003). */
  checkpoint_size: number | null
  /** The person the device belongs to (0004), or null. */
  person_id: string | null
  /** Id of the enrollment token that enrolled it (0009; null before), so a retried enrollment finds it. */
  enrolled_with: string | null
}

/** A package a device reported in its inventory (0006); a claim of the device, for inventory queries. */
export interface DevicePackagesTable {
  org_id: string
  device_id: string
  name: string
  /** '' when the device reported none. */
  arch: string
  version: string
}

export interface CommandsTable {
  id: string
  org_id: string
  /** The exact signed payload bytes (canonical JSON); never re-encoded. */
  payload: Uint8Array
  status: string
  created_at: Millis
  created_by: string
  not_after: Millis
  log_index: number | null
  /** JSON array of the sorted target device ids, resolved at creation (0003). */
  target_ids: JsonText | null
  /** Number of target devices (0003). */
  target_count: number | null
  /** The DSSE envelope exactly as logged (the log leaf), once logged (0003). */
  envelope: string | null
  /** When a request claimed the right to log this command; stale claims expire (0003). */
  logging_since: Millis | null
}

export interface CommandSignaturesTable { command_id: string; keyid: string; sig: Uint8Array; created_at: Millis }

/** The org's append-only transparency log; `idx` is dense from 0. */
export interface LogEntriesTable {
  org_id: string
  idx: number
  leaf_data: Uint8Array
  /** RFC 6962 leaf hash: SHA-256(0x00 ‖ leaf_data). */
  leaf_hash: Uint8Array
  /** What the entry is: command, policy, root, device… */
  kind: string
  ref_id: string
  created_at: Millis
}

/**
 * The log key of an org being set up (before the org row exists); moved to
 * log_keys when setup completes. `signer_key` is a secret.
 */
export interface PendingLogKeysTable { org_id: string; origin: string; signer_key: string; verifier_key: string; created_at: Millis }

/** An org's witnesses: C2SP cosignature/v1 verifier key, URL, and what each has cosigned. */
export interface OrgWitnessesTable {
  org_id: string
  /** The witness's cosignature/v1 verifier key, exactly as root.witnesses.keys lists it. */
  key: string
  /** Base URL; the server POSTs to `<url>/add-checkpoint`. */
  url: string
  /** Largest checkpoint size this witness cosigned (null: none yet). */
  last_size: number | null
  last_cosigned_at: Millis | null
  /** Why the last request failed (null after a success). */
  last_error: string | null
  last_error_at: Millis | null
  created_at: Millis
}

/** The size of each org's log: the next entry's index. */
export interface LogHeadsTable { org_id: string; size: number }

export interface CheckpointsTable { org_id: string; size: number; root_hash: Uint8Array; note: string; cosigned: 0 | 1; created_at: Millis }

export interface DeliveriesTable {
  command_id: string
  device_id: string
  status: string
  updated_at: Millis
  attempts: number
  /** JSON `{ index, proof: [base64] }`: membership in a Merkle target set (0003). */
  target_proof: JsonText | null
}

export interface ResultsTable {
  command_id: string
  device_id: string
  /** The device-signed result envelope, as received. */
  envelope: string
  exit_code: number | null
  status: string
  received_at: Millis
}

export interface AlertsTable {
  id: string
  org_id: string
  device_id: string | null
  code: string
  message: string
  details: JsonText
  created_at: Millis
  acknowledged_at: Millis | null
  /** The command the alert is about, if any (0003). */
  command_id: string | null
}

/** A console account (0004); global, with a role per org in admin_roles. */
export interface AdminsTable {
  id: string
  username: string
  /** normaliseKey(username): unique across the server. */
  username_key: string
  email: string
  email_key: string
  name: string
  /** argon2id PHC string. */
  password_hash: string
  /** The TOTP secret sealed by auth/secret-box.ts (never plain), or null. */
  totp_secret: string | null
  /** When MFA was confirmed with a first code; null while enrolment is pending. */
  totp_enabled_at: Millis | null
  /** The last TOTP time step accepted, so a code is never accepted twice. */
  totp_last_step: number | null
  /** 'active' | 'disabled'. */
  status: string
  failed_logins: number
  locked_until: Millis | null
  password_changed_at: Millis
  created_at: Millis
  updated_at: Millis
  version: number
}

/** An admin's role in one org (0004): 'owner' | 'admin' | 'helpdesk' | 'read-only'. */
export interface AdminRolesTable { admin_id: string; org_id: string; role: string; created_at: Millis }

/**
 * An invitation of an existing console account to an org (0005): addressed
 * to what the inviter typed (username or email), accepted or declined by
 * the account holder from their own session.
 */
export interface AdminInvitationsTable {
  id: string
  org_id: string
  /** The username or email as typed (NFC), shown back to the inviter only. */
  identifier: string
  /** normaliseKey(identifier), matched against admins.username_key / email_key. */
  identifier_key: string
  role: string
  /** Admin or API key id of the inviter. */
  created_by: string
  created_at: Millis
  expires_at: Millis
}

/** One-time MFA recovery codes (0004), hex SHA-256 of the code text. */
export interface RecoveryCodesTable { admin_id: string; code_hash: string; created_at: Millis; used_at: Millis | null }

/** Console sessions (0004). The cookie holds the token; only hashes are stored. */
export interface SessionsTable {
  /** Public id, shown in session lists and used to revoke. */
  id: string
  /** Hex SHA-256 of the session token (the cookie value). */
  token_hash: string
  /** Hex SHA-256 of the CSRF token handed out with the session. */
  csrf_hash: string
  admin_id: string
  /** 1 when the session passed MFA (or the admin has none and the org does not require it). */
  mfa: 0 | 1
  created_at: Millis
  last_seen_at: Millis
  /** Absolute expiry; idle expiry is last_seen_at + the idle timeout. */
  expires_at: Millis
  revoked_at: Millis | null
  source_addr: string | null
  user_agent: string | null
}

/** A person of an org's directory (0004). */
export interface PeopleTable {
  id: string
  org_id: string
  username: string
  username_key: string
  email: string
  email_key: string
  name: string
  /** 'active' | 'suspended'. */
  status: string
  /** JSON array of OpenSSH public key lines. */
  ssh_keys: JsonText
  /** JSON object of string attributes. */
  attributes: JsonText
  created_at: Millis
  updated_at: Millis
  version: number
}

/** A user group or a device group (0004). */
export interface GroupsTable {
  id: string
  org_id: string
  kind: 'user' | 'device'
  name: string
  name_key: string
  description: string
  created_at: Millis
  updated_at: Millis
  version: number
}

/** Membership: a person in a user group, a device in a device group (0004). */
export interface GroupMembersTable { group_id: string; member_id: string; org_id: string; added_at: Millis }

/** One audited action (0004): every mutation and every login attempt. */
export interface AuditEventsTable {
  id: string
  /** Null for events outside any org (a failed login naming no known account). */
  org_id: string | null
  /** 'admin' | 'api-key' | 'device' | 'anonymous' | 'system'. */
  actor_type: string
  actor_id: string | null
  /** Username or key name at the time, so events stay readable after deletion. */
  actor_name: string | null
  /** Dotted action name declared by the route, e.g. 'person.create', 'session.login'. */
  action: string
  target_type: string | null
  target_id: string | null
  /** 'success' | 'failure' | 'denied'. */
  result: string
  status_code: number
  source_addr: string | null
  request_id: string | null
  /** JSON object: small, never a secret. */
  details: JsonText
  created_at: Millis
}

/**
 * A device's live gateway connection (0007): the node holding it, the
 * connection's id (unique per server process and connection: a node
 * deletes only the row its connection wrote) and when it connected. The
 * device is online while that node's heartbeat is fresh.
 */
export interface AgentSessionsTable { device_id: string; node_id: string; connection_id: string; connected_at: Millis }

/**
 * A server node's heartbeat (0007), on the database's clock, and how long
 * it stays fresh (that node's TTL); `instance` is random per process, to
 * notice two processes sharing a node id.
 */
export interface ServerNodesTable { node_id: string; instance: string; heartbeat_at: Millis; ttl_ms: number }

/** deployment: one row, this deployment's random name (migration 0008; the bus scopes its subjects with it). */
export interface DeploymentTable { id: string; created_at: Millis }

/** Every table, by name. */
export interface Database {
  orgs: OrgsTable
  setup_codes: SetupCodesTable
  roots: RootsTable
  log_keys: LogKeysTable
  api_keys: ApiKeysTable
  enrollment_tokens: EnrollmentTokensTable
  devices: DevicesTable
  device_packages: DevicePackagesTable
  commands: CommandsTable
  command_signatures: CommandSignaturesTable
  log_entries: LogEntriesTable
  checkpoints: CheckpointsTable
  deliveries: DeliveriesTable
  results: ResultsTable
  alerts: AlertsTable
  pending_log_keys: PendingLogKeysTable
  org_witnesses: OrgWitnessesTable
  log_heads: LogHeadsTable
  admins: AdminsTable
  admin_roles: AdminRolesTable
  admin_invitations: AdminInvitationsTable
  recovery_codes: RecoveryCodesTable
  sessions: SessionsTable
  people: PeopleTable
  groups: GroupsTable
  group_members: GroupMembersTable
  audit_events: AuditEventsTable
  agent_sessions: AgentSessionsTable
  server_nodes: ServerNodesTable
  deployment: DeploymentTable
}

/** A table name. */
export type TableName = keyof Database
/** A row as read. */
export type Row<T extends TableName> = Selectable<Database[T]>
/** A row as inserted (nullable columns optional). */
export type NewRow<T extends TableName> = Insertable<Database[T]>
/** A partial row for updates. */
export type RowUpdate<T extends TableName> = Updateable<Database[T]>
