import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, SERVICES } from '@qoslab/native-stack';

export class SetupError extends Error {}

function onPath(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/**
 * wrk, the HTTP load generator, from Debian's package. Installs it when missing (as root, with
 * apt-get); idempotent. Returns its path.
 */
export function ensureWrk(log: (line: string) => void): string {
  const existing = onPath('wrk');
  if (existing) return existing;
  if (process.getuid?.() !== 0) throw new SetupError('wrk is not installed; run `apt-get install -y wrk` as root (Debian/Ubuntu) and try again');
  if (!onPath('apt-get')) throw new SetupError('wrk is not installed and there is no apt-get; install wrk 4.x and put it on PATH');
  log('installing wrk from Debian (apt-get install -y wrk)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'wrk'], { encoding: 'utf8', env });
  let result = install();
  if (result.status !== 0) {
    spawnSync('apt-get', ['update'], { encoding: 'utf8', env });
    result = install();
  }
  const installed = onPath('wrk');
  if (result.status !== 0 || !installed) {
    const last = `${result.stderr ?? ''}`.trim().split('\n').pop() ?? '';
    throw new SetupError(`could not install wrk with apt-get (${last || `exit ${result.status}`})`);
  }
  return installed;
}

/** The services, the embedded PostgreSQL and the telemetry package must be built (npx turbo run build). */
export function ensureBuilt(log: (line: string) => void): void {
  const entryPoints = [
    ...SERVICES.map((name) => join(repoRoot, 'services', name, 'dist', 'main.js')),
    join(repoRoot, 'packages', 'embedded-postgres', 'dist', 'cli.js'),
    join(repoRoot, 'packages', 'telemetry', 'dist', 'register.js'),
  ];
  if (entryPoints.every((path) => existsSync(path))) return;
  log('building the services (npx turbo run build)…');
  const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) throw new SetupError('the build failed (npx turbo run build); see above');
}

export function ensureAutoInstrumentations(): void {
  try {
    require.resolve('@opentelemetry/auto-instrumentations-node/register', { paths: [join(repoRoot, 'services', 'gateway')] });
  } catch {
    throw new SetupError('@opentelemetry/auto-instrumentations-node is not installed; run `npm install` at the repository root');
  }
}

/** A free loopback port for every program of the stack, so the benchmark runs beside `npm run stack`. */
export function versionOf(command: string, args: string[]): string {
  try {
    const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    return out.trim().split('\n')[0] ?? 'unknown';
  } catch (error) {
    // wrk prints its version with the usage text and exits 1.
    const output = (error as { stdout?: string; stderr?: string }).stdout || (error as { stderr?: string }).stderr || '';
    return output.trim().split('\n')[0] || 'unknown';
  }
}
