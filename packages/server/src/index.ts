/**
 * @palisade/server — the untrusted relay and bookkeeper: HTTP API, storage,
 * transparency log, delivery. Nothing here can make a device run a command
 * that admins did not sign (DESIGN.md); this package only stores, serves
 * and relays.
 */
export { buildApp, BODY_LIMIT, type BuildAppOptions } from './app.js'
export { startNode, startServer, type NodeHandle, type ServerHandle, type StartServerOptions } from './main.js'
export { startCluster, type ClusterHandle } from './cluster/start-cluster.js'
export type { WorkerInfo } from './cluster/worker-pool.js'
export { loadConfig, CONFIG_VARIABLES, LOG_LEVELS, MAX_WORKERS, type ServerConfig, type ConfigSources, type LogLevel } from './config.js'
export { createLogger, redactUrl, REDACTED_KEYS } from './logger.js'
export {
  ServerError,
  isServerError,
  SERVER_ERROR_CODES,
  type ServerErrorCode,
  type ServerErrorOptions,
  type FieldError,
} from './errors.js'
export { PROBLEM_CONTENT_TYPE, sendProblem, serverProblem, type Problem, type ProblemCode } from './http/problem.js'
export { PROTOCOL_ERROR_STATUS, protocolErrorStatus } from './http/protocol-status.js'
export { objectSchema, NO_QUERY, type JsonSchema } from './http/schemas.js'
export { ROUTES } from './routes/index.js'
export type { RouteContext, RoutePlugin } from './routes/route-context.js'
export { openDatabase, sqlFamilyOf, type OpenDatabaseOptions } from './db/open.js'
export { openSqlite } from './db/open-sqlite.js'
export { openPostgres, type PostgresOptions } from './db/open-postgres.js'
export { migrateToLatest } from './db/migrate.js'
export { MIGRATIONS, migrationProvider } from './db/migrations/index.js'
export type { SqlFamily } from './db/migrations/column-types.js'
export { withTransaction, isRetryableDbError, type TransactionOptions } from './db/transaction.js'
export type * from './db/schema.js'
