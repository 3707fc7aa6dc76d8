/**
 * The enforced layers (`npm run lint:layers`, part of `npm run lint`).
 *
 * The pure cores take and return plain values and never do I/O: no Nest, no Fastify, no plugin host, no
 * registry client, no network, file, process or database module. Every rule below is checked on the
 * cores' whole import graph (`reachable`), type-only imports included, so a helper a core imports is held
 * to the same rules.
 *
 * A core is any non-test file in src/reference, src/pull-policy or src/decision, except the adapters:
 * files named *.controller, *.resolver, *.module, *.service, *.dto, *.models, *.routes, *.schemas, and any
 * file in a module's http/ folder (the other Nest and Fastify glue: pipes, parameter decorators, body
 * parsers, e.g. src/pull-policy/http/manifests-request.ts and yaml-body.ts).
 */
const CORE_FOLDERS = '^src/(reference|pull-policy|decision)/';
const ADAPTERS = [
  '[.](controller|resolver|module|service|dto|models|routes|schemas)[.]ts$',
  '[.](spec|test)[.]ts$',
  '^src/[^/]+/http/',
];
const core = { path: CORE_FOLDERS, pathNot: ADAPTERS };

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-no-framework',
      severity: 'error',
      comment: 'A core must not import Nest, Fastify, or any other package (directly or through a helper); only the YAML parser is allowed.',
      from: core,
      // Third-party packages resolve into node_modules; `yaml` is a pure parser.
      to: { reachable: true, path: '^node_modules/', pathNot: '^node_modules/yaml/' },
    },
    {
      name: 'core-no-io-builtin',
      severity: 'error',
      comment:
        'A core must not import a Node built-in (fs, net, http, child_process, …). node:crypto is allowed: ' +
        'the cores hash credentials (sha256, HMAC), which is computation, not I/O.',
      from: core,
      to: { reachable: true, path: '^(node:)?[a-z_/]+$', pathNot: '^(node:)?crypto$' },
    },
    {
      name: 'core-no-plugin-host-or-registry',
      severity: 'error',
      comment:
        'A core must not import the plugin host or the registry client, not even a type: shared types live in ' +
        'src/common or in a port inside the core.',
      from: core,
      to: { reachable: true, path: '^src/(plugin-host|registry)/' },
    },
    {
      name: 'core-no-adapter',
      severity: 'error',
      comment:
        'A core must not import an adapter (controller, resolver, module, service, DTO, GraphQL model, route, schema, ' +
        'or any file in an http/ folder of a module).',
      from: core,
      to: { reachable: true, path: ['^src/.*[.](controller|resolver|module|service|dto|models|routes|schemas)[.]ts$', '^src/[^/]+/http/'] },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['^dist/'] },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    moduleSystems: ['es6', 'cjs'],
  },
};
