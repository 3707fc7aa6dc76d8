import swc from 'unplugin-swc';
import { configDefaults, defineConfig } from 'vitest/config';

/** The tests that start the compiled service (dist/src/main.js) in its own process. */
const COMPILED_SERVICE_TESTS = ['test/startup.test.ts', 'test/shutdown.test.ts', 'test/replicas.test.ts'];

export default defineConfig({
  plugins: [
    // Nest relies on decorator metadata, which esbuild does not emit; swc does.
    swc.vite({
      jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true } },
    }),
  ],
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'in-process', include: ['src/**/*.spec.ts', 'test/**/*.test.ts', 'plugins/**/*.spec.ts'], exclude: [...configDefaults.exclude, ...COMPILED_SERVICE_TESTS] },
      },
      // Built first (tsc -p tsconfig.build.json), whenever one of these is in the run: a build failure fails the run.
      { extends: true, test: { name: 'compiled-service', include: COMPILED_SERVICE_TESTS, globalSetup: ['./test/support/build-dist.ts'] } },
    ],
  },
});
