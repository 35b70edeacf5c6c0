/**
 * @palisade/cli as a library: the program (for embedding and tests) and the
 * admin keystore (for tools that sign with an admin's key on the admin's own
 * machine, such as the benchmarks). The `palisade` binary is dist/bin.js.
 */
export { run, buildProgram } from './program.js'
export { generateKey, listKeys, loadPublicKey, unlockKey, keyIdOf, type KeyInfo, type UnlockedKey } from './keystore/keystore.js'
export { CliError, isCliError, CLI_ERROR_CODES, type CliErrorCode } from './errors.js'
