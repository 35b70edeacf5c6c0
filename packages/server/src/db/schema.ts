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
  /** OS name from the last inventory (0003), for device lists. */
  os: string | null
  /** Version string the agent sent in its last hello (0003). */
  agent_version: string | null
  /** Root version the agent last reported trusting (0003). */
  root_version: number | null
  /** Size of the last cosigned checkpoint the agent reported (0003). */
  checkpoint_size: number | null
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
  pending_log_keys: PendingLogKeysTable
  org_witnesses: OrgWitnessesTable
  log_heads: LogHeadsTable
}

/** A table name. */
export type TableName = keyof Database
/** A row as read. */
export type Row<T extends TableName> = Selectable<Database[T]>
/** A row as inserted (nullable columns optional). */
export type NewRow<T extends TableName> = Insertable<Database[T]>
/** A partial row for updates. */
export type RowUpdate<T extends TableName> = Updateable<Database[T]>
