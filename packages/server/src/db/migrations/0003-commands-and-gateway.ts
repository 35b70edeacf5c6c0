/**
 * 0003 — what enrollment, commands and the agent gateway need beyond 0001:
 *
 * - devices: the OS name shown in lists (taken from the inventory), the
 *   agent's version, and the trust state it last reported (root version and
 *   checkpoint size), from which the gateway builds root updates and
 *   consistency proofs;
 * - commands: the resolved target list (JSON array of sorted device ids,
 *   fixed at creation) and its length, the envelope exactly as logged, and the claim that
 *   lets exactly one request (or node) log a command;
 * - deliveries: the Merkle membership proof of a device in a committed
 *   target set, computed once for the whole set when the command is logged;
 * - alerts: the command an alert is about, when there is one.
 *
 * Columns only, all nullable: SQLite adds a column with one ALTER each, and
 * existing rows need no backfill.
 */
import type { ColumnDataType, Kysely, Migration } from 'kysely'
import type { ColumnTypes } from './column-types.js'

/** Builds migration 0003 for a dialect's column types. */
export function commandsAndGatewayMigration(t: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const add = async (table: string, column: string, type: ColumnDataType): Promise<void> => {
        await db.schema.alterTable(table).addColumn(column, type).execute()
      }
      await add('devices', 'os', 'text')
      await add('devices', 'agent_version', 'text')
      await add('devices', 'root_version', 'integer')
      await add('devices', 'checkpoint_size', t.count)

      await add('commands', 'target_ids', 'text')
      await add('commands', 'target_count', 'integer')
      await add('commands', 'envelope', 'text')
      await add('commands', 'logging_since', t.millis)

      await add('deliveries', 'target_proof', 'text')

      await add('alerts', 'command_id', 'text')
      // "Which deliveries of this command are still open?" for the done check.
      await db.schema.createIndex('deliveries_command_status_idx').on('deliveries').columns(['command_id', 'status']).execute()
    },

    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('deliveries_command_status_idx').execute()
      for (const [table, column] of [
        ['alerts', 'command_id'], ['deliveries', 'target_proof'], ['commands', 'logging_since'], ['commands', 'envelope'],
        ['commands', 'target_count'], ['commands', 'target_ids'], ['devices', 'checkpoint_size'], ['devices', 'root_version'], ['devices', 'agent_version'],
        ['devices', 'os'],
      ] as const) {
        await db.schema.alterTable(table).dropColumn(column).execute()
      }
    },
  }
}
