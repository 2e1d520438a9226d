import { buildExplorer } from './explorer';

/**
 * Builds dist/ and the explorer (dist/web) once, before any test file runs: files that need the
 * bundle then find it current, instead of building it at the same time as each other.
 */
export default function setup() {
  buildExplorer();
}
