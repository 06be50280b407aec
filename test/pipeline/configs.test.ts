// The shipped pipeline configs are accepted by the real programs that run them: the kit's Collector
// build (`otelcol validate`), promtool, and Jaeger v2 (started briefly on loopback ports).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { freePort, ManagedProcess, repoRoot, toolPath } from '@qoslab/native-stack';
import { getOk, run } from './support';
import { waitFor } from '@qoslab/http-kit/testing';

const collectorDir = join(repoRoot, 'otel-collector');
const baseConfig = join(collectorDir, 'config.yaml');
const k8sConfig = join(collectorDir, 'config.k8s.yaml');
const prometheusDir = join(repoRoot, 'observability', 'prometheus');
const jaegerConfig = join(repoRoot, 'observability', 'jaeger', 'config.yaml');

// validate needs no environment beyond what the configs reference; K8S_NODE_NAME is the downward-API
// variable the Kubernetes layer reads.
const collectorEnv = { ...process.env, K8S_NODE_NAME: 'kind-control-plane' };

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'pipeline-configs-'));
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function validate(...configs: string[]) {
  const otelcol = toolPath('otelcol');
  return run(otelcol, ['validate', ...configs.flatMap((config) => ['--config', config])], { env: collectorEnv });
}

describe('Collector configs', () => {
  test('the base config validates', () => {
    const result = validate(baseConfig);
    assert.equal(result.status, 0, result.stderr);
  });

  test('the base config with the Kubernetes layer validates', () => {
    // validate instantiates every component, and kubelet_stats with auth_type serviceAccount reads the
    // pod's service-account token there; off-cluster this one setting is switched to none.
    const layer = readFileSync(k8sConfig, 'utf8');
    const kubelet = layer.indexOf('kubelet_stats:');
    const auth = layer.indexOf('auth_type: serviceAccount', kubelet);
    assert.ok(kubelet >= 0 && auth > kubelet, 'kubelet_stats no longer uses auth_type serviceAccount');
    const offCluster = join(scratch, 'config.k8s.yaml');
    writeFileSync(offCluster, layer.slice(0, auth) + 'auth_type: none' + layer.slice(auth + 'auth_type: serviceAccount'.length));
    const result = validate(baseConfig, offCluster);
    assert.equal(result.status, 0, result.stderr);
  });

  const inPod = existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
  test('off-cluster, the shipped Kubernetes layer fails only for want of a service account', { skip: inPod }, () => {
    const result = validate(baseConfig, k8sConfig);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /kubelet_stats.*serviceaccount/s);
  });

  test('validate rejects a copy with a misspelt setting', () => {
    const broken = join(scratch, 'config-typo.yaml');
    const text = readFileSync(baseConfig, 'utf8');
    assert.match(text, /limit_mib:/);
    writeFileSync(broken, text.replace('limit_mib:', 'limit_mb:'));
    const result = validate(broken);
    assert.notEqual(result.status, 0, 'validate accepted an unknown key');
    assert.match(result.stderr, /limit_mb/);
  });

  test('validate rejects a pipeline that names an undefined component', () => {
    const broken = join(scratch, 'config-undefined.yaml');
    const text = readFileSync(baseConfig, 'utf8');
    const pipeline = 'processors: [memory_limiter, redaction, batch]';
    assert.ok(text.includes(pipeline), 'the traces pipeline changed; update this test');
    writeFileSync(broken, text.replace(pipeline, 'processors: [memory_limiter, redaction, batch, batch/missing]'));
    const result = validate(broken);
    assert.notEqual(result.status, 0, 'validate accepted an undefined processor');
    assert.match(result.stderr, /batch\/missing/);
  });

  test('the Kubernetes layer keeps every base pipeline component', () => {
    // Lists are replaced, not merged, when configs are layered: the layer must restate them.
    const base = readFileSync(baseConfig, 'utf8');
    const layer = readFileSync(k8sConfig, 'utf8');
    for (const name of ['memory_limiter', 'redaction', 'batch', 'otlp_grpc/jaeger', 'span_metrics', 'servicegraph']) {
      assert.ok(base.includes(name), `${name} is not in the base config`);
      assert.ok(layer.includes(name), `${name} is missing from the Kubernetes layer's pipelines`);
    }
  });
});

describe('Prometheus config and rules', () => {
  test('promtool check config passes (it also checks the rule files it loads)', () => {
    const result = run(toolPath('promtool'), ['check', 'config', join(prometheusDir, 'prometheus.yml')]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /SUCCESS/);
  });

  test('promtool check rules passes for every rule file', () => {
    const files = readdirSync(join(prometheusDir, 'rules'))
      .filter((name) => name.endsWith('.yml'))
      .map((name) => join(prometheusDir, 'rules', name));
    assert.ok(files.length >= 2, 'expected recording and alert rule files');
    const result = run(toolPath('promtool'), ['check', 'rules', ...files]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  test('promtool check rules rejects a rule with broken PromQL', () => {
    const copy = join(scratch, 'prometheus');
    cpSync(prometheusDir, copy, { recursive: true });
    const file = join(copy, 'rules', 'red.yml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('sum by (job) (rate(', 'sum by (job) (rate(('));
    const result = run(toolPath('promtool'), ['check', 'rules', file]);
    assert.notEqual(result.status, 0, 'promtool accepted broken PromQL');
  });
});

describe('Jaeger config', () => {
  test('Jaeger v2 starts with the shipped config and serves health and the query API', async () => {
    const ports = {
      JAEGER_HEALTH_PORT: await freePort(),
      JAEGER_QUERY_PORT: await freePort(),
      JAEGER_QUERY_GRPC_PORT: await freePort(),
      JAEGER_OTLP_GRPC_PORT: await freePort(),
      JAEGER_OTLP_HTTP_PORT: await freePort(),
    };
    const env: NodeJS.ProcessEnv = { ...process.env, JAEGER_LISTEN_HOST: '127.0.0.1' };
    for (const [name, port] of Object.entries(ports)) env[name] = String(port);

    const jaeger = new ManagedProcess({
      name: 'jaeger',
      command: toolPath('jaeger'),
      args: ['--config', jaegerConfig],
      env,
      ready: { http: `http://127.0.0.1:${ports.JAEGER_HEALTH_PORT}/status` },
    });
    jaeger.start();
    try {
      await jaeger.waitReady(30_000);
      const services = await waitFor(
        'Jaeger query API',
        () => getOk(`http://127.0.0.1:${ports.JAEGER_QUERY_PORT}/api/services`),
        { abortIf: () => (jaeger.running ? undefined : `Jaeger exited:\n${jaeger.tail()}`) },
      );
      // A fresh in-memory store knows no services yet: an empty answer without errors.
      const answer = JSON.parse(services) as { data: unknown; total: unknown; errors: unknown };
      assert.equal(answer.total, 0, services);
      assert.equal(answer.errors, null, services);
    } finally {
      const code = await jaeger.stop();
      assert.equal(code, 0, `Jaeger did not shut down cleanly:\n${jaeger.tail()}`);
    }
  });
});
