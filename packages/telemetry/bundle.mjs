// Bundles src/sdk.ts and everything it requires into dist/sdk.bundle.js (register.ts says why one file).
// The OpenTelemetry packages ship a CommonJS and an ES module build of the same code, chosen by how a
// package is asked for: the kit imports the SDK, while the exporters' CommonJS builds require it. Left to
// itself the bundle would hold two copies of sdk-metrics, core, resources and the API, and the whole of
// semantic-conventions. Resolving every @opentelemetry package as an import keeps one copy of each, in
// the module build, which lets esbuild leave out what nothing uses.
import { build } from 'esbuild';

const oneBuildPerPackage = {
  name: 'one-build-per-package',
  setup(bundler) {
    bundler.onResolve({ filter: /^@opentelemetry\// }, (args) => {
      if (args.kind !== 'require-call' || args.pluginData === 'as-import') return undefined;
      return bundler.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir, importer: args.importer, pluginData: 'as-import' });
    });
  },
};

await build({
  entryPoints: ['src/sdk.ts'],
  bundle: true,
  platform: 'node',
  target: 'node22',
  sourcemap: true,
  logLevel: 'warning',
  outfile: 'dist/sdk.bundle.js',
  plugins: [oneBuildPerPackage],
});
