// Copies what a service needs at run time from a built, dev-pruned workspace tree (FROM) to TO:
// the root package.json and node_modules, and for each workspace its package.json, whatever the
// entries (paths or globs) of its "files" field match (default: dist) and its own node_modules.
// Symlinks (the workspace links in node_modules) are copied as they are, so they resolve in TO.
// Usage: node runtime-files.mjs FROM TO
import { cpSync, existsSync, globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  process.stderr.write('usage: node runtime-files.mjs FROM TO\n');
  process.exit(2);
}

function copy(rel) {
  const source = join(from, rel);
  if (existsSync(source)) cpSync(source, join(to, rel), { recursive: true, verbatimSymlinks: true });
}

const root = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
copy('package.json');
copy('node_modules');
const patterns = Array.isArray(root.workspaces) ? root.workspaces : (root.workspaces?.packages ?? []);
for (const dir of patterns.flatMap((pattern) => globSync(pattern, { cwd: from }))) {
  const manifest = join(from, dir, 'package.json');
  if (!existsSync(manifest)) continue;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  for (const entry of ['package.json', ...(pkg.files ?? ['dist']), 'node_modules']) {
    for (const match of globSync(entry, { cwd: join(from, dir) })) copy(join(dir, match));
  }
}
