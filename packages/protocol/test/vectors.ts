// Loads the published test vectors kept beside the tests (see vectors/SOURCES.md).
import { readFileSync } from 'node:fs'

const dir = new URL('../test/vectors/', import.meta.url)

export function vectorText(name: string): string {
  return readFileSync(new URL(name, dir), 'utf8')
}

export function vectorJson<T = any>(name: string): T {
  return JSON.parse(vectorText(name)) as T
}
