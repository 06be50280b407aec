// docker-compose.yml as Compose resolves it, checked without starting anything: the Compose of
// this machine accepts it (Debian's 1.29 included), every image is pinned and overridable, every
// container is hardened, limited and health-checked, the QoS lab's workers get exactly what the
// kubelet gives the Kubernetes workers (computed by the qos CLI), and Grafana's provisioning matches
// its mounts. test/compose/stack.test.ts runs the same file on a Docker engine.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';

import { run } from '../pipeline/support';
import { bytes, composeFile, kubeletWorkers, LAB_NODE_MEMORY, mounts, QOS_VARIANTS, repoRoot, resolvedConfig, type Obj } from './support';

const raw = readFileSync(composeFile, 'utf8');
const config = resolvedConfig();
const services = config.services as Record<string, Obj>;
const names = Object.keys(services);

/** Services that run once and exit: their exit status is their health. */
const ONE_SHOT = new Set(['secrets']);
const THIRD_PARTY: Record<string, string> = {
  NODE_IMAGE: 'node',
  POSTGRES_IMAGE: 'postgres',
  OTELCOL_IMAGE: 'otel/opentelemetry-collector-contrib',
  JAEGER_IMAGE: 'jaegertracing/jaeger',
  PROMETHEUS_IMAGE: 'prom/prometheus',
  GRAFANA_IMAGE: 'grafana/grafana',
  K6_IMAGE: 'grafana/k6',
};
const SHOP = ['gateway', 'catalog', 'orders', 'payments'];

/** `${VAR:-default}` image references in the raw file. */
function imageDefaults(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of raw.matchAll(/\$\{([A-Z0-9_]+_IMAGE):-([^}]+)\}/g)) out[match[1]!] = match[2]!;
  return out;
}

describe('the file', () => {
  test('has the services of the kit, in their profiles', () => {
    const profile = (name: string) => (services[name]!.profiles as string[] | undefined)?.join(',') ?? '';
    assert.deepEqual(
      names.filter((n) => profile(n) === '').sort(),
      ['catalog', 'console', 'gateway', 'grafana', 'jaeger', 'orders', 'otel-collector', 'payments', 'postgres', 'prometheus', 'secrets', 'traffic'],
    );
    assert.deepEqual(names.filter((n) => profile(n) === 'qos').sort(), ['qos-load', 'worker-besteffort', 'worker-burstable', 'worker-guaranteed']);
    assert.deepEqual(names.filter((n) => profile(n) === 'loadtest').sort(), ['loadtest-faults', 'loadtest-shop']);
  });

  test('runs on Compose 1.29 too: no top-level name, no start_interval, no version key', () => {
    const code = raw.replace(/^\s*#.*$/gm, '');
    assert.doesNotMatch(code, /^name:/m);
    assert.doesNotMatch(code, /start_interval/);
    assert.doesNotMatch(code, /^version:/m);
  });

  test('every third-party image is pinned by digest with its tag, and overridable by its variable', () => {
    const defaults = imageDefaults();
    assert.deepEqual(Object.keys(defaults).sort(), Object.keys(THIRD_PARTY).sort());
    for (const [variable, repository] of Object.entries(THIRD_PARTY)) {
      const reference = defaults[variable]!;
      assert.match(reference, new RegExp(`^${repository}:[\\w][\\w.-]*@sha256:[0-9a-f]{64}$`), `${variable}: ${reference}`);
    }
    const overridden = resolvedConfig(Object.fromEntries(Object.keys(THIRD_PARTY).map((v) => [v, `mirror.example/${v.toLowerCase()}:1`])));
    for (const [name, service] of Object.entries(overridden.services as Record<string, Obj>)) {
      const image = service.image as string;
      if (image.startsWith('qoslab/')) {
        assert.equal(service.build.args.NODE_IMAGE, 'mirror.example/node_image:1', `${name}: NODE_IMAGE does not reach the build`);
      } else {
        assert.match(image, /^mirror\.example\//, `${name} keeps ${image} when its variable is set`);
      }
    }
  });

  test('uses the same pins as the Kubernetes manifests and the service Dockerfile', () => {
    const pins = new Set<string>();
    const scan = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) scan(path);
        else if (/\.ya?ml$/.test(entry.name)) for (const m of readFileSync(path, 'utf8').matchAll(/image: *([^\s]+@sha256:[0-9a-f]{64})/g)) pins.add(m[1]!);
      }
    };
    scan(join(repoRoot, 'k8s'));
    const defaults = imageDefaults();
    for (const variable of ['POSTGRES_IMAGE', 'OTELCOL_IMAGE', 'JAEGER_IMAGE', 'PROMETHEUS_IMAGE', 'GRAFANA_IMAGE', 'K6_IMAGE']) {
      assert.ok(pins.has(defaults[variable]!), `${variable}=${defaults[variable]} is not what k8s/ pins (${[...pins].join(', ')})`);
    }
    const dockerfile = readFileSync(join(repoRoot, 'services', 'Dockerfile'), 'utf8');
    assert.equal(/^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1], defaults.NODE_IMAGE);
  });

  test('project images are built from the service Dockerfile with the repository as context', () => {
    for (const [name, service] of Object.entries(services)) {
      const image = service.image as string;
      if (!image.startsWith('qoslab/')) continue;
      const workload = image.slice('qoslab/'.length);
      assert.ok(SHOP.includes(workload) || workload === 'worker' || workload === 'console', `${name}: unknown project image ${image}`);
      assert.equal(service.build.context, repoRoot);
      assert.equal(service.build.dockerfile, 'services/Dockerfile');
      assert.equal(service.build.args.SERVICE, workload, `${name} builds the wrong service`);
      assert.ok(existsSync(join(repoRoot, service.build.dockerfile as string)));
    }
  });
});

describe('every container', () => {
  test('has a memory limit, the one docs/compose.md gives', () => {
    for (const name of names) assert.ok(bytes(services[name]!.mem_limit) > 0, `${name} has no mem_limit`);
    const documented = new Map<string, number>();
    for (const row of readFileSync(join(repoRoot, 'docs', 'compose.md'), 'utf8').matchAll(/^\| (`[^|]+) \| [^|]+ \| (\d+) MiB \|/gm)) {
      for (const name of row[1]!.matchAll(/`([a-z-]+)`/g)) documented.set(name[1]!, Number(row[2]));
    }
    for (const name of names.filter((n) => !services[n]!.profiles)) {
      assert.equal(bytes(services[name]!.mem_limit) / 2 ** 20, documented.get(name), `${name}: docs/compose.md says ${documented.get(name)} MiB`);
    }
  });

  test('runs as a non-root user on a read-only root filesystem, without capabilities or privilege escalation', () => {
    for (const [name, service] of Object.entries(services)) {
      assert.equal(service.read_only, true, `${name}: root filesystem writable`);
      assert.deepEqual(service.cap_drop, ['ALL'], name);
      assert.ok((service.security_opt as string[]).includes('no-new-privileges:true'), name);
      const uid = String(service.user ?? '').split(':')[0];
      assert.match(uid ?? '', /^\d+$/, `${name}: user must be numeric, got ${service.user}`);
      if (name === 'secrets') {
        // The one root container: hands each generated file to its reader's uid, without a network.
        assert.deepEqual(service.cap_add, ['CHOWN']);
        assert.equal(service.network_mode, 'none');
      } else {
        assert.notEqual(uid, '0', `${name} runs as root`);
        assert.equal(service.cap_add, undefined, `${name} adds capabilities`);
      }
    }
  });

  test('publishes ports on loopback only', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of (service.ports ?? []) as (string | Obj)[]) {
        const ip = typeof port === 'string' ? port.split(':')[0] : port.host_ip;
        assert.equal(ip, '127.0.0.1', `${name} publishes ${JSON.stringify(port)}`);
      }
    }
  });

  test('has a healthcheck, and every dependency waits for a health condition', () => {
    for (const [name, service] of Object.entries(services)) {
      if (ONE_SHOT.has(name)) {
        assert.equal(service.restart, 'no');
        continue;
      }
      const test = service.healthcheck?.test as string[] | undefined;
      assert.ok(test && test[0] === 'CMD' && service.healthcheck.disable !== true, `${name} has no healthcheck`);
      for (const [dependency, spec] of Object.entries((service.depends_on ?? {}) as Record<string, Obj>)) {
        const condition = ONE_SHOT.has(dependency) ? 'service_completed_successfully' : 'service_healthy';
        assert.equal(spec.condition, condition, `${name} -> ${dependency}`);
      }
    }
  });

  test('no password is written in the file or has a default', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries((service.environment ?? {}) as Record<string, string>)) {
        if (/PASSWORD|SECRET|TOKEN/.test(key)) assert.match(key, /_FILE$/, `${name}: ${key}=${value}`);
        assert.doesNotMatch(String(value), /:\/\/[^/@\s]+:[^/@\s]+@/, `${name}: ${key} has credentials in a URL`);
      }
    }
    assert.equal(services.postgres!.environment.POSTGRES_PASSWORD_FILE, '/run/secrets/qoslab/postgres-password');
    assert.equal(services.orders!.environment.DATABASE_PASSWORD_FILE, '/run/secrets/qoslab/database-password');
    assert.equal(services.grafana!.environment.GF_SECURITY_ADMIN_PASSWORD__FILE, '/run/secrets/qoslab/grafana-admin-password');
  });
});

describe('the secrets service', { skip: process.getuid?.() !== 0 && 'needs root to hand files to other uids' }, () => {
  test('creates each password once, readable only by its reader, and keeps them on later runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-secrets-'));
    try {
      chmodSync(dir, 0o755);
      const script = join(repoRoot, 'compose', 'init-secrets.sh');
      const first = run('sh', [script, dir]);
      assert.equal(first.status, 0, first.stderr);
      const files = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
      const owner = (file: string) => `${statSync(join(dir, file)).uid} ${(statSync(join(dir, file)).mode & 0o777).toString(8)}`;
      assert.equal(owner('postgres-password'), '70 400');
      assert.equal(owner('database-password'), '1000 400');
      assert.equal(owner('grafana-admin-password'), '472 400');
      assert.equal(owner('.postgres-password'), '0 600');
      const password = files['postgres-password']!.trim();
      assert.match(password, /^[0-9a-f]{48}$/);
      assert.equal(files['database-password'], `${password}\n`);
      assert.notEqual(files['grafana-admin-password']!.trim(), password);

      const second = run('sh', [script, dir]);
      assert.equal(second.status, 0, second.stderr);
      assert.equal(second.stdout, '', 'a second run created something');
      for (const [file, content] of Object.entries(files)) assert.equal(readFileSync(join(dir, file), 'utf8'), content, file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the QoS lab workers get what the kubelet gives the Kubernetes workers', () => {
  const kubelet = kubeletWorkers();

  test(`qos explain: the classes, and the values this file must carry (node with ${LAB_NODE_MEMORY})`, () => {
    assert.deepEqual(QOS_VARIANTS.map((v) => kubelet[v].qosClass), ['Guaranteed', 'Burstable', 'BestEffort']);
  });

  for (const variant of QOS_VARIANTS) {
    test(`worker-${variant}: CPU shares, CFS quota and period, memory limit, oom_score_adj`, () => {
      const worker = services[`worker-${variant}`]!;
      const expected = kubelet[variant].container;
      assert.equal(worker.cpu_shares, expected.cpuShares);
      if (expected.cpuQuota === null) {
        assert.equal(worker.cpu_quota, undefined, 'no CPU limit, no quota');
        assert.equal(worker.cpus, undefined);
      } else {
        assert.equal(worker.cpu_quota, expected.cpuQuota);
        assert.equal(worker.cpu_period, expected.cpuPeriod);
      }
      if (expected.memoryMax === null) {
        // BestEffort: no limit of its own in Kubernetes (the node's pod budget bounds it); here a
        // limit plays that budget, above what the other classes may use.
        assert.equal(variant, 'besteffort');
        assert.ok(bytes(worker.mem_limit) > bytes(services['worker-burstable']!.mem_limit));
      } else {
        assert.equal(bytes(worker.mem_limit), expected.memoryMax);
      }
      // The kubelet disables swap for containers (swap limit = memory limit).
      assert.equal(bytes(worker.memswap_limit), bytes(worker.mem_limit));
      assert.equal(worker.oom_score_adj, expected.oomScoreAdj);
      assert.equal(String(worker.cpuset), '0', 'the three must compete for the same CPU');
    });

    test(`worker-${variant}: the same worker settings and telemetry identity as in Kubernetes`, () => {
      const env = services[`worker-${variant}`]!.environment as Record<string, string>;
      for (const name of ['WORKER_MAX_MEMORY_MIB', 'WORKER_MAX_CPU_UNITS']) {
        assert.equal(env[name], kubelet[variant].env[name], name);
      }
      assert.equal(env.OTEL_SERVICE_NAME, `worker-${variant}`);
      assert.match(env.OTEL_RESOURCE_ATTRIBUTES ?? '', new RegExp(`(^|,)shop\\.qos\\.class=${variant}(,|$)`));
    });
  }

  test('qos-load offers the same jobs to the three workers', () => {
    const env = services['qos-load']!.environment as Record<string, string>;
    const urls = Object.fromEntries(env.WORKER_URLS!.split(',').map((e) => e.split('=')));
    assert.deepEqual(urls, {
      guaranteed: 'http://worker-guaranteed:8084',
      burstable: 'http://worker-burstable:8084',
      besteffort: 'http://worker-besteffort:8084',
    });
    assert.ok((services['qos-load']!.command as string[]).includes('/scripts/qos-lab.js'));
  });
});

describe('k6 services', () => {
  test('run scripts of loadtest/ and send their metrics to Prometheus', () => {
    for (const name of ['traffic', 'qos-load', 'loadtest-shop', 'loadtest-faults']) {
      const service = services[name]!;
      const command = service.command as string[];
      assert.equal(command[0], 'run');
      const script = command.at(-1)!;
      assert.ok(existsSync(join(repoRoot, 'loadtest', script.replace('/scripts/', ''))), `${name}: ${script}`);
      assert.deepEqual(command.slice(command.indexOf('-o'), command.indexOf('-o') + 2), ['-o', 'experimental-prometheus-rw']);
      assert.equal(service.environment.K6_PROMETHEUS_RW_SERVER_URL, 'http://prometheus:9090/api/v1/write');
    }
  });

  test('the traffic generator is one steady shopper without thresholds, for a long time', () => {
    const traffic = services.traffic!;
    assert.ok((traffic.command as string[]).includes('--no-thresholds'));
    assert.equal(traffic.environment.LOAD_SHAPE, 'soak');
    assert.equal(traffic.environment.LOAD_VUS, '1');
    assert.equal(traffic.environment.LOAD_DURATION, '24h');
  });
});

describe('the telemetry services', () => {
  test("the Collector's healthcheck needs no shell: validate with an http config reference", () => {
    const test = services['otel-collector']!.healthcheck.test as string[];
    assert.deepEqual(test.slice(0, 3), ['CMD', '/otelcol-contrib', 'validate']);
    // `config` escapes $ again for reuse: the container receives a single $.
    assert.ok(test.some((arg) => /^--config=yaml:.*\$\$?\{http:\/\/127\.0\.0\.1:13133\/\}$/.test(arg)), test.join(' '));
    const manifest = readFileSync(join(repoRoot, 'otel-collector', 'builder-config.yaml'), 'utf8');
    for (const provider of ['httpprovider', 'yamlprovider']) assert.match(manifest, new RegExp(`confmap/provider/${provider} `), `the local build lacks ${provider}`);
  });

  test('the Collector runs the shipped config with the container settings it documents', () => {
    const collector = services['otel-collector']!;
    assert.deepEqual(mounts(collector), [{ source: join(repoRoot, 'otel-collector', 'config.yaml'), target: '/etc/otelcol-contrib/config.yaml', read_only: true }]);
    const header = readFileSync(join(repoRoot, 'otel-collector', 'config.yaml'), 'utf8').replace(/\n# /g, ' ');
    const documented = /Containers set (.+?)\. /.exec(header);
    assert.ok(documented, 'otel-collector/config.yaml no longer documents the container settings');
    for (const pair of documented[1]!.split(/, | and /)) {
      const [name, value] = pair.split('=');
      assert.equal(collector.environment[name!], value, name);
    }
  });

  test("Prometheus scrapes the Collector's own metrics from the file mounted over the native one", () => {
    const prometheus = services.prometheus!;
    const mount = mounts(prometheus).find((v) => v.target === '/etc/prometheus/targets/otel-collector.yml');
    assert.ok(mount?.read_only);
    assert.deepEqual(parseYaml(readFileSync(mount.source as string, 'utf8')), [{ targets: ['otel-collector:8888'] }]);
    assert.ok(existsSync(join(repoRoot, 'observability', 'prometheus', 'targets', 'otel-collector.yml')), 'the mount point must exist in the config directory');
    const promConfig = parseYaml(readFileSync(join(repoRoot, 'observability', 'prometheus', 'prometheus.yml'), 'utf8')) as Obj;
    const files = (promConfig.scrape_configs as Obj[]).flatMap((s) => ((s.file_sd_configs ?? []) as Obj[]).flatMap((f) => f.files as string[]));
    assert.ok(files.includes('targets/otel-collector.yml'), JSON.stringify(files));
    for (const flag of ['--web.enable-otlp-receiver', '--web.enable-remote-write-receiver', '--enable-feature=exemplar-storage']) {
      assert.ok((prometheus.command as string[]).includes(flag), flag);
    }
  });
});

describe('Grafana', () => {
  const grafana = services.grafana!;
  const env = grafana.environment as Record<string, string>;
  const provisioning = join(repoRoot, 'observability', 'grafana', 'provisioning');
  const mountOf = (source: string) => mounts(grafana).find((v) => v.source === source);

  test('anonymous visitors may only view; there is no default admin password', () => {
    assert.equal(env.GF_AUTH_ANONYMOUS_ENABLED, 'true');
    assert.equal(env.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer');
    assert.equal(env.GF_SECURITY_ADMIN_PASSWORD, undefined);
    assert.deepEqual(mountOf('secrets'), { source: 'secrets', target: '/run/secrets/qoslab', read_only: true });
  });

  test('the provisioning directories and dashboards are mounted where the provisioning files say', () => {
    assert.equal(mountOf(join(provisioning, 'datasources'))?.target, '/etc/grafana/provisioning/datasources');
    assert.equal(mountOf(join(provisioning, 'dashboards'))?.target, '/etc/grafana/provisioning/dashboards');
    const providers = parseYaml(readFileSync(join(provisioning, 'dashboards', 'dashboards.yaml'), 'utf8')) as Obj;
    const paths = (providers.providers as Obj[]).map((p) => p.options.path as string);
    assert.deepEqual(paths, [mountOf(join(repoRoot, 'observability', 'grafana', 'dashboards'))?.target]);
    const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    assert.ok(home.startsWith(`${paths[0]}/`) && existsSync(join(repoRoot, 'observability', 'grafana', 'dashboards', home.slice(paths[0]!.length + 1))), home);
  });

  test("every variable of the data sources is set, to the compose services' addresses", () => {
    const text = JSON.stringify(parseYaml(readFileSync(join(provisioning, 'datasources', 'datasources.yaml'), 'utf8')));
    const variables = [...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!);
    assert.deepEqual([...new Set(variables)].sort(), ['JAEGER_URL', 'PROMETHEUS_URL']);
    assert.equal(env.PROMETHEUS_URL, 'http://prometheus:9090');
    assert.equal(env.JAEGER_URL, 'http://jaeger:16686');
  });

  test('every dashboard is JSON whose data sources, at any depth, are provisioned ones of the same type', () => {
    const datasources = (parseYaml(readFileSync(join(provisioning, 'datasources', 'datasources.yaml'), 'utf8')) as Obj).datasources as Obj[];
    const provisioned = new Map(datasources.map((d) => [d.uid as string, d.type as string]));
    const dir = join(repoRoot, 'observability', 'grafana', 'dashboards');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0);
    for (const file of files) {
      const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Obj;
      const used: Obj[] = [];
      const walk = (node: unknown) => {
        if (Array.isArray(node)) node.forEach(walk);
        else if (node && typeof node === 'object') {
          for (const [key, value] of Object.entries(node)) {
            if (key === 'datasource' && value && typeof value === 'object') used.push(value as Obj);
            walk(value);
          }
        }
      };
      walk(dashboard);
      assert.ok(used.length > 0, `${file} names no data source`);
      for (const source of used) {
        if (source.uid === '-- Grafana --') continue;
        assert.equal(provisioned.get(source.uid as string), source.type, `${file}: ${JSON.stringify(source)}`);
      }
    }
  });
});
