/**
 * The layer rules (.dependency-cruiser.cjs, run by `npm run lint`) fail on a core that imports what it must
 * not: the real rules, run by the real command line, over a small tree in a temporary folder (never in src/).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

/** Stand-ins for the packages: a core may import the YAML parser, nothing else. */
const PACKAGES = ['@nestjs/common', 'fastify', 'undici', 'yaml'];

const TREE: Record<string, string> = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true }, include: ['src'] }),
  // Violations, one a file.
  'src/reference/nest.ts': "import { Injectable } from '@nestjs/common';\nexport const injectable = Injectable;\n",
  'src/reference/fastify-type.ts': "import type { FastifyInstance } from 'fastify';\nexport type App = FastifyInstance;\n",
  'src/pull-policy/reads-file.ts': "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
  'src/pull-policy/fetches.ts': "import { request } from 'undici';\nexport const get = request;\n",
  'src/decision/plugin-type.ts': "import type { PluginReport } from '../plugin-host/index.js';\nexport type Report = PluginReport;\n",
  'src/decision/registry-call.ts': "import { lookup } from '../registry/client.js';\nexport const find = lookup;\n",
  'src/decision/via-helper.ts': "import { connectTo } from '../common/net-helper.js';\nexport const connect = connectTo;\n",
  'src/decision/uses-dto.ts': "import { Dto } from './decision.dto.js';\nexport const dto = Dto;\n",
  'src/pull-policy/uses-http.ts': "import { isYaml } from './http/media-types.js';\nexport const yaml = isYaml;\n",
  // Allowed: the YAML parser, node:crypto, a pure helper; and an adapter may import anything.
  'src/pull-policy/pure.ts':
    "import { createHash } from 'node:crypto';\nimport { parse } from 'yaml';\nimport { twice } from '../common/pure-helper.js';\nexport const all = [createHash, parse, twice];\n",
  'src/pull-policy/pull-policy.service.ts': "import { Injectable } from '@nestjs/common';\nimport { readFileSync } from 'node:fs';\nexport const all = [Injectable, readFileSync];\n",
  'src/pull-policy/http/yaml-body.ts': "import type { FastifyInstance } from 'fastify';\nexport type App = FastifyInstance;\n",
  // What the files above import.
  'src/decision/decision.dto.ts': 'export class Dto {}\n',
  'src/plugin-host/index.ts': 'export interface PluginReport { name: string }\n',
  'src/registry/client.ts': 'export function lookup(): void {}\n',
  'src/common/net-helper.ts': "import { connect } from 'node:net';\nexport const connectTo = connect;\n",
  'src/common/pure-helper.ts': 'export const twice = (n: number): number => 2 * n;\n',
  'src/pull-policy/http/media-types.ts': "export const isYaml = (type: string): boolean => type === 'application/yaml';\n",
};

interface Violation {
  rule: string;
  from: string;
  to: string;
}

function writeTree(dir: string): void {
  const files: Record<string, string> = { ...TREE };
  for (const name of PACKAGES) {
    files[`node_modules/${name}/package.json`] = JSON.stringify({ name, version: '0.0.0', main: 'index.js' });
    files[`node_modules/${name}/index.js`] = 'module.exports = {};\n';
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** `npm run lint:layers` in `dir`: its exit code and the violations it prints (`error <rule>: <from> → <to>`). */
async function lintLayers(dir: string): Promise<{ exitCode: number; violations: Violation[] }> {
  const args = [DEPCRUISE, 'src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err'];
  let exitCode = 0;
  let output: string;
  try {
    output = (await promisify(execFile)(process.execPath, args, { cwd: dir })).stdout;
  } catch (error) {
    const { code, stdout } = error as { code?: unknown; stdout?: string };
    if (typeof code !== 'number' || stdout === undefined) throw error;
    exitCode = code;
    output = stdout;
  }
  const violations = [...output.matchAll(/^\s*error (\S+): (\S+) → (\S+)$/gm)].map(([, rule, from, to]) => ({ rule, from, to }));
  return { exitCode, violations };
}

describe('enforced layers (.dependency-cruiser.cjs)', () => {
  it('fail on a core that imports Nest, Fastify, an I/O module, the plugin host, the registry or an adapter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layers-'));
    try {
      writeTree(dir);
      const { exitCode, violations } = await lintLayers(dir);
      expect(exitCode).not.toBe(0);
      const found = [...new Set(violations.map((v) => `${v.from} ${v.rule}`))].sort();
      expect(found).toEqual(
        [
          'src/reference/nest.ts core-no-framework',
          'src/reference/fastify-type.ts core-no-framework', // a type-only import counts
          'src/pull-policy/reads-file.ts core-no-io-builtin',
          'src/pull-policy/fetches.ts core-no-framework',
          'src/decision/plugin-type.ts core-no-plugin-host-or-registry',
          'src/decision/registry-call.ts core-no-plugin-host-or-registry',
          'src/decision/via-helper.ts core-no-io-builtin', // through a helper outside the cores
          'src/decision/uses-dto.ts core-no-adapter',
          'src/pull-policy/uses-http.ts core-no-adapter', // an http/ folder holds adapters
        ].sort(),
      );
      expect(violations.find((v) => v.from === 'src/decision/via-helper.ts')?.to).toBe('net');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
