// Where the time goes: GET /api/products under load with the gateway and the catalog run under
// `node --cpu-prof`, with telemetry off and on; the profiles are summarised for the performance page.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Context, shopOptions } from '../lib/context';
import { readProfile, summariseProfile } from '../lib/cpu-profile';
import type { ProfileResults } from '../lib/results';
import { Shop, url } from '../lib/shop';
import { runWrk } from '../lib/wrk';

const PROFILED = ['gateway', 'catalog'] as const;
const CONFIGS = ['off', 'curated'] as const;

export async function runProfile(context: Context): Promise<ProfileResults> {
  const o = context.settings.overhead;
  const out: ProfileResults = { seconds: o.measureSeconds, byConfig: {} };
  for (const config of CONFIGS) {
    context.log(`profile: GET /api/products, ${config}`);
    const dirs = Object.fromEntries(PROFILED.map((service) => [service, join(context.runDir, 'profiles', config, service)]));
    for (const dir of Object.values(dirs)) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    }
    const nodeFlags = Object.fromEntries(PROFILED.map((service) => [service, ['--cpu-prof', `--cpu-prof-dir=${dirs[service]}`]]));
    const shop = await Shop.start(config, `profile-${config}`, { ...shopOptions(context), nodeFlags, logDir: context.logDir });
    try {
      const load = (seconds: number) =>
        runWrk(context.wrk, { url: url(context.ports, 'gateway', '/api/products'), script: 'products.lua', connections: o.connections, durationSeconds: seconds });
      await load(o.warmupSeconds);
      await load(o.measureSeconds);
      shop.assertRunning();
    } finally {
      // The profile is written when the process exits.
      await shop.stop();
    }
    out.byConfig[config] = {};
    for (const service of PROFILED) {
      const files = readdirSync(dirs[service] as string).filter((name) => name.endsWith('.cpuprofile'));
      if (files.length !== 1) throw new Error(`expected one CPU profile of ${service} (${config}), found ${files.length}`);
      out.byConfig[config][service] = summariseProfile(readProfile(join(dirs[service] as string, files[0] as string)));
    }
  }
  return out;
}
