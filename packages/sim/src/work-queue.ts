/**
 * One process's queue of frame work (verifying a delivery or a checkpoint,
 * signing the result), run in slices of a few milliseconds with the event
 * loop free in between.
 *
 * Why: one simulator process plays thousands of devices on a share of two
 * cores. A fan-out hands every one of them a delivery at once, and each
 * costs ~0.7 ms of verification and signing: 16,000 deliveries are over
 * ten seconds of CPU, and with the server on the same cores, more than the
 * server's 30 s ping interval of wall time. Verified inside the socket's
 * message handler, every socket read waited behind that backlog, so pongs
 * (which ws sends when it reads the ping) came too late, the server dropped
 * the devices as dead, and the reconnects (hello, inventory, redelivery,
 * verifying again) made the backlog worse: at 50k agents a fan-out slowed
 * to a seventh of its speed. A real device verifies its one delivery on
 * its own CPU and answers pings meanwhile; queued here, the simulator
 * does too: reads stay cheap (parse and enqueue), and pings are answered
 * within one slice.
 *
 * Tasks run in the order pushed, so one agent's frames keep their order.
 */

/** Longest run of tasks before the event loop gets a turn (ms). */
export const SLICE_MS = 5

/**
 * @example
 * const work = new WorkQueue((e) => console.error(e))
 * ws.on('message', (data) => work.push(() => handle(data)))
 */
export class WorkQueue {
  #tasks: (() => void)[] = []
  #head = 0
  #scheduled = false
  readonly #onError: (error: unknown) => void
  readonly #sliceMs: number

  constructor(onError: (error: unknown) => void, sliceMs = SLICE_MS) {
    this.#onError = onError
    this.#sliceMs = sliceMs
  }

  /** Tasks waiting. */
  get size(): number {
    return this.#tasks.length - this.#head
  }

  push(task: () => void): void {
    this.#tasks.push(task)
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => this.#drain())
  }

  #drain(): void {
    this.#scheduled = false
    const until = performance.now() + this.#sliceMs
    while (this.#head < this.#tasks.length) {
      const task = this.#tasks[this.#head]!
      this.#tasks[this.#head++] = noop // let the frame it holds go
      try {
        task()
      } catch (e) {
        this.#onError(e)
      }
      if (performance.now() >= until) break
    }
    if (this.#head >= this.#tasks.length) {
      this.#tasks = []
      this.#head = 0
    } else {
      if (this.#head > 4096) {
        this.#tasks = this.#tasks.slice(this.#head)
        this.#head = 0
      }
      this.#schedule()
    }
  }
}

function noop(): void {}
