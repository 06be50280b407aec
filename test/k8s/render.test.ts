// Every kustomization renders with kubectl kustomize, and the generated ConfigMaps carry every file
// of the kit they are meant to carry.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { repoRoot, toolPath } from '@qoslab/native-stack';
import { KUSTOMIZATIONS, k8sDir, parse, rendered, type Obj } from './support';

const kubectlPath = () => toolPath('kubectl');

const configMap = (objects: Obj[], prefix: string): Obj => {
  const found = objects.find((o) => o.kind === 'ConfigMap' && String(o.metadata.name).startsWith(`${prefix}-`));
  assert.ok(found, `ConfigMap ${prefix}-<hash>`);
  return found;
};

describe('kustomize', () => {
  for (const dir of KUSTOMIZATIONS) {
    it(`renders k8s/${dir}`, () => {
      const objects = parse(rendered(join(k8sDir, dir)));
      assert.ok(objects.length > 0);
      for (const obj of objects) assert.ok(obj.apiVersion && obj.kind && obj.metadata?.name, JSON.stringify(obj).slice(0, 200));
    });
  }

  it('renders every kustomization with kubectl as it is: each loads only files below its own directory', () => {
    const { status, stderr } = spawnSync(kubectlPath(), ['kustomize', '--load-restrictor', 'LoadRestrictionsRootOnly', join(k8sDir, 'overlays', 'kind')], { encoding: 'utf8' });
    assert.equal(status, 0, stderr);
  });

  it('the local overlay is the kind overlay without Grafana', () => {
    const name = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const kind = parse(rendered(join(k8sDir, 'overlays', 'kind'))).map(name);
    const local = parse(rendered(join(k8sDir, 'overlays', 'local'))).map(name);
    assert.deepEqual(kind.filter((n) => !local.includes(n)).every((n) => /grafana/.test(n)), true);
    assert.deepEqual(local.filter((n) => !kind.includes(n)), []);
  });

  it('puts the shop, the telemetry and the QoS lab in their namespaces', () => {
    const objects = parse(rendered(join(k8sDir, 'overlays', 'kind')));
    const where = (kind: string, name: string): string | undefined => objects.find((o) => o.kind === kind && o.metadata.name === name)?.metadata.namespace;
    for (const name of ['gateway', 'catalog', 'orders', 'payments']) assert.equal(where('Deployment', name), 'shop');
    assert.equal(where('StatefulSet', 'postgres'), 'shop');
    assert.equal(where('DaemonSet', 'otel-collector'), 'observability');
    for (const name of ['jaeger', 'prometheus', 'grafana']) assert.equal(where('Deployment', name), 'observability');
    for (const name of ['worker-guaranteed', 'worker-burstable', 'worker-besteffort']) assert.equal(where('Deployment', name), 'qos-lab');
  });

  it('ships every Prometheus rule file, Grafana dashboard and k6 library file', () => {
    const kind = parse(rendered(join(k8sDir, 'overlays', 'kind')));
    const keys = (cm: Obj): string[] => Object.keys(cm.data ?? {}).sort();
    const files = (dir: string, ext: string): string[] => readdirSync(join(repoRoot, dir)).filter((f) => f.endsWith(ext)).sort();
    assert.deepEqual(keys(configMap(kind, 'prometheus-rules')), files('observability/prometheus/rules', '.yml'));
    assert.deepEqual(keys(configMap(kind, 'grafana-dashboards')), files('observability/grafana/dashboards', '.json'));
    const experiment = parse(rendered(join(k8sDir, 'experiment')));
    const k6 = configMap(experiment, 'k6-scripts');
    assert.deepEqual(keys(k6), ['qos-lab.js', 'shop-journey.js', ...files('loadtest/lib', '.js').map((f) => `lib-${f}`)].sort());
    const libs = files('loadtest/lib', '.js').map((f) => `lib-${f}`);
    const mounted = (workload: Obj | undefined): string[] =>
      (workload?.spec.template.spec.volumes.find((v: Obj) => v.name === 'scripts').configMap.items as Obj[]).map((i) => i.key).sort();
    const job = mounted(experiment.find((o) => o.kind === 'Job'));
    const traffic = mounted(kind.find((o) => o.kind === 'Deployment' && o.metadata.name === 'traffic'));
    assert.deepEqual(job, ['qos-lab.js', ...libs].sort(), 'the experiment Job mounts its script and every library file');
    assert.deepEqual(traffic, ['shop-journey.js', ...libs].sort(), 'the shop traffic mounts its script and every library file');
    assert.deepEqual([...new Set([...job, ...traffic])].sort(), keys(k6), 'every key is mounted by one of them');
  });

  it('labels every object and pod template with app.kubernetes.io/*', () => {
    for (const obj of parse(rendered(join(k8sDir, 'overlays', 'kind')))) {
      if (obj.kind === 'Namespace' || obj.kind === 'ConfigMap' || obj.kind === 'NetworkPolicy') continue;
      for (const key of ['name', 'part-of']) assert.ok(obj.metadata.labels?.[`app.kubernetes.io/${key}`], `${obj.kind} ${obj.metadata.name}: app.kubernetes.io/${key}`);
      const template = obj.spec?.template;
      if (template === undefined) continue;
      for (const key of ['name', 'instance', 'component', 'part-of', 'version']) {
        assert.ok(template.metadata.labels?.[`app.kubernetes.io/${key}`], `${obj.kind} ${obj.metadata.name} pod template: app.kubernetes.io/${key}`);
      }
    }
  });
});
