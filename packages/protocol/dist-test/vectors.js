// Loads the published test vectors kept beside the tests (see vectors/SOURCES.md).
import { readFileSync } from 'node:fs';
const dir = new URL('../test/vectors/', import.meta.url);
export function vectorText(name) {
    return readFileSync(new URL(name, dir), 'utf8');
}
export function vectorJson(name) {
    return JSON.parse(vectorText(name));
}
//# sourceMappingURL=vectors.js.map