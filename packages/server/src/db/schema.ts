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
import type { Insertable, Selectable, Updateable } from 'kysely'

/** Milliseconds since the Unix epoch. */
export type Millis = number
/** A JSON document stored as text. */
export type JsonText = string

export interface OrgsTable { id: string; name: string; created_at: Millis }

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

export interface CheckpointsTable { org_id: string; size: number; root_hash: Uint8Array; note: string; cosigned: 0 | 1; created_at: Millis }

export interface DeliveriesTable { command_id: string; device_id: string; status: string; updated_at: Millis; attempts: number }

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
}

/** Every table, by name. */
export interface Database {
  orgs: OrgsTable
  setup_codes: SetupCodesTable
  roots: RootsTable
  log_keys: LogKeysTable
  api_keys: ApiKeysTable
  enrollment_tokens: EnrollmentTokensTable
  devices: DevicesTable
  commands: CommandsTable
  command_signatures: CommandSignaturesTable
  log_entries: LogEntriesTable
  checkpoints: CheckpointsTable
  deliveries: DeliveriesTable
  results: ResultsTable
  alerts: AlertsTable
}

/** A table name. */
export type TableName = keyof Database
/** A row as read. */
export type Row<T extends TableName> = Selectable<Database[T]>
/** A row as inserted (nullable columns optional). */
export type NewRow<T extends TableName> = Insertable<Database[T]>
/** A partial row for updates. */
export type RowUpdate<T extends TableName> = Updateable<Database[T]>
