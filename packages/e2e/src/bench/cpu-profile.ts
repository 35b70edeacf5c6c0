/**
 * Preloaded into the benchmark's server process (NODE_OPTIONS=--import,
 * since node refuses --cpu-prof there) when PALISADE_BENCH_CPU_PROF names
 * a directory: profiles the whole process and writes a .cpuprofile (open
 * it in Chrome DevTools or speedscope) when it exits.
 */
import { Session } from 'node:inspector'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.env['PALISADE_BENCH_CPU_PROF']
if (dir) {
  const session = new Session()
  session.connect()
  session.post('Profiler.enable')
  session.post('Profiler.setSamplingInterval', { interval: 1000 })
  session.post('Profiler.start')
  let written = false
  // Same-thread inspector sessions answer synchronously, so this works in an
  // exit handler; on SIGTERM too, as a slow shutdown may end in SIGKILL.
  const write = (): void => {
    if (written) return
    written = true
    session.post('Profiler.stop', (err, r) => {
      if (err === null) writeFileSync(join(dir, `server-${process.pid}.cpuprofile`), JSON.stringify(r.profile))
    })
  }
  process.on('exit', write)
  process.on('SIGTERM', write)
}
