/**
 * The machine-readable record of a run, for scripts/security-matrix.mjs:
 * when PALISADE_ATTACK_RESULTS names a file, every row is written to it as
 * soon as it is known (so a crash mid-run still leaves the rows so far).
 */
import { writeFileSync } from 'node:fs'
import type { Row } from './run-scenario.js'

export interface RunRecord {
  readonly suite: 'breached-server'
  readonly startedAt: string
  finishedAt: string | null
  durationMs: number | null
  readonly node: string
  readonly rows: Row[]
  /** The final sweep: every run file and every local rejection, checked after the last control. */
  sweep: { readonly attackRuns: number; readonly controlRuns: number; readonly rejectionsLogged: number; readonly rejectionsVerified: number } | null
}

export class Results {
  readonly record: RunRecord
  readonly #path: string | undefined
  readonly #t0 = Date.now()

  constructor(path = process.env['PALISADE_ATTACK_RESULTS']) {
    this.#path = path === '' ? undefined : path
    this.record = { suite: 'breached-server', startedAt: new Date().toISOString(), finishedAt: null, durationMs: null, node: process.version, rows: [], sweep: null }
  }

  add(row: Row): void {
    this.record.rows.push(row)
    this.#write()
  }

  finish(sweep: RunRecord['sweep']): void {
    this.record.sweep = sweep
    this.record.finishedAt = new Date().toISOString()
    this.record.durationMs = Date.now() - this.#t0
    this.#write()
  }

  #write(): void {
    if (this.#path !== undefined) writeFileSync(this.#path, `${JSON.stringify(this.record, null, 2)}\n`)
  }
}
