// What the scripts promise that can be checked without a cluster: the overlay generator refuses
// unpinned input and honours mirror overrides, and the kind config keeps the line create-cluster.sh
// rewrites and the thresholds that make memory pressure reachable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { FAKE_DIGESTS, k8sDir, parse, render, type Obj } from './support';

const renderOverlay = (args: string[], env: Record<string, string> = {}) =>
  spawnSync('bash', [join(k8sDir, 'scripts', 'render-overlay.sh'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('k8s/scripts', () => {
  it('are valid bash', () => {
    for (const script of readdirSync(join(k8sDir, 'scripts')).filter((f) => f.endsWith('.sh'))) {
      const result = spawnSync('bash', ['-n', join(k8sDir, 'scripts', script)], { encoding: 'utf8' });
      assert.equal(result.status, 0, `${script}: ${result.stderr}`);
    }
  });

  it('render-overlay.sh refuses a missing or malformed digest', () => {
    const out = mkdtempSync(join(tmpdir(), 'overlay-'));
    assert.notEqual(renderOverlay([out, ...FAKE_DIGESTS.slice(1)]).status, 0, 'a service without digest');
    const bad = renderOverlay([out, ...FAKE_DIGESTS.slice(1), 'gateway=latest']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /not a sha256 digest/);
  });

  it('render-overlay.sh swaps a third-party image for a pinned mirror, and refuses an unpinned one', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'overlay-')), 'kind');
    const mirror = `mirror.example/otel/collector:0.162.0@sha256:${'f'.repeat(64)}`;
    assert.equal(renderOverlay([out, ...FAKE_DIGESTS], { QOSLAB_IMAGE_OTELCOL: mirror }).status, 0);
    const collector = parse(render(out)).find((o: Obj) => o.kind === 'DaemonSet') as Obj;
    assert.equal(collector.spec.template.spec.containers[0].image, `mirror.example/otel/collector:0.162.0@sha256:${'f'.repeat(64)}`);
    const unpinned = renderOverlay([out, ...FAKE_DIGESTS], { QOSLAB_IMAGE_OTELCOL: 'mirror.example/otel/collector:latest' });
    assert.notEqual(unpinned.status, 0);
  });
});

describe('k8s/kind/cluster.yaml', () => {
  const text = readFileSync(join(k8sDir, 'kind', 'cluster.yaml'), 'utf8');
  const cluster = parseYaml(text) as Obj;
  const kubelet = parseYaml(cluster.kubeadmConfigPatches.find((p: string) => p.includes('KubeletConfiguration'))) as Obj;

  it('keeps the systemReserved line that create-cluster.sh rewrites', () => {
    assert.match(text, /memory: "[0-9A-Za-z]+" # qoslab:system-reserved/);
    assert.ok(kubelet.systemReserved.memory);
  });

  it('sets hard and soft memory eviction thresholds, enforced on the pods cgroup', () => {
    assert.ok(kubelet.evictionHard['memory.available']);
    assert.ok(kubelet.evictionSoft['memory.available']);
    assert.ok(kubelet.evictionSoftGracePeriod['memory.available']);
    assert.deepEqual(kubelet.enforceNodeAllocatable, ['pods']);
    assert.ok(kubelet.kubeReserved.memory);
  });

  it('keeps the default CNI, which enforces NetworkPolicy since kind v0.24', () => {
    assert.equal(cluster.networking.disableDefaultCNI, false);
  });
});
