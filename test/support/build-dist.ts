/**
 * Vitest globalSetup of the tests that start the compiled service (vitest.config.ts, COMPILED_SERVICE_TESTS):
 * compiles dist/ with `tsc -p tsconfig.build.json` once, before any test, so they always run the current
 * sources — never a stale dist/, never skipped for want of one. A failed build (type errors included)
 * fails the run, with the compiler's output.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default function buildDist(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = Date.now();
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { status, stdout, stderr } = error as { status?: number | null; stdout?: string; stderr?: string };
    const output = `${stdout ?? ''}${stderr ?? ''}`.trim() || (error as Error).message;
    const message = `The build failed (tsc -p tsconfig.build.json, exit code ${status ?? 'none'}); the tests that start dist/src/main.js cannot run:\n${output}`;
    // Printed at once as well: vitest reports a failed globalSetup after a misleading "No test files found".
    process.stderr.write(`\n${message}\n\n`);
    throw new Error(message, { cause: error });
  }
  process.stdout.write(`dist/ built for the compiled-service tests (tsc -p tsconfig.build.json, ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
