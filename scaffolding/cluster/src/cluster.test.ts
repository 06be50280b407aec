import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kubeletPatch, kubeletSettings, memorySplit } from '@qoslab/lab';
import { parseAllDocuments } from 'yaml';
import { COREDNS_IMAGE, CGROUP_ROOT, SANDBOX_IMAGE } from './cluster';
import { cniConfig, componentSpecs, containerdConfig, kubeletConfig, kubeProxyConfig } from './components';
import { cgroupLayout, hasCapSysResource } from './host';
import { IDENTITIES } from './pki';
import { COMPONENTS, NETWORK, paths } from './settings';

const p = paths('/state', '/run/x');
const options = (canLower: boolean) => ({ kubelet: kubeletSettings(memorySplit(24_000, 5120)), canLowerOomScoreAdj: canLower, cgroupRoot: CGROUP_ROOT, sandboxImage: SANDBOX_IMAGE });

describe('the local cluster configuration', () => {
  it('gives the kubelet the workshop node settings of k8s/kind/cluster.yaml, and the pods a fixed budget', () => {
    const config = kubeletConfig(p, options(true));
    const patch = kubeletPatch();
    assert.deepEqual(config.enforceNodeAllocatable, patch.enforceNodeAllocatable);
    assert.deepEqual((config.evictionHard as Record<string, string>)['memory.available'], (patch.evictionHard as Record<string, string>)['memory.available']);
    assert.equal((config.evictionHard as Record<string, string>)['nodefs.available'], '0%', "kind's own default");
    assert.equal((config.systemReserved as Record<string, string>).memory, `${24_000 - 5120 - 512}Mi`);
    assert.equal(config.failCgroupV1, false);
    assert.equal(config.cgroupDriver, 'cgroupfs');
    assert.deepEqual(config.clusterDNS, [NETWORK.dnsServiceAddress]);
  });

  it('restricts oom_score_adj in containerd exactly when the machine cannot lower it', () => {
    assert.match(containerdConfig(p, options(false)), /restrict_oom_score_adj = true/);
    assert.match(containerdConfig(p, options(true)), /restrict_oom_score_adj = false/);
    assert.match(containerdConfig(p, options(true)), new RegExp(`sandbox_image = "${SANDBOX_IMAGE}"`));
  });

  it('keeps every address out of the private ranges', () => {
    const privateRange = /^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)/;
    for (const [key, value] of Object.entries(NETWORK)) if (typeof value === "string" && /\d+\.\d+\.\d+\.\d+/.test(value)) assert.doesNotMatch(value, privateRange, key);
    const cni = JSON.parse(cniConfig(p)) as { plugins: { ipam: { ranges: { subnet: string }[][] } }[] };
    assert.equal(cni.plugins[0]?.ipam.ranges[0]?.[0]?.subnet, NETWORK.podCidr);
    assert.equal(kubeProxyConfig(p).clusterCIDR, NETWORK.clusterCidr);
    assert.equal((kubeProxyConfig(p).conntrack as { maxPerCore: number }).maxPerCore, 0, 'nf_conntrack_max is global: never set it');
  });

  it('starts every component, in order, with an identity of its own', () => {
    const specs = componentSpecs(p, {
      etcd: 'etcd', containerd: 'containerd', 'kube-apiserver': 'a', 'kube-controller-manager': 'c', 'kube-scheduler': 's', kubelet: 'k', 'kube-proxy': 'p', 'kube-router': 'r',
    });
    assert.deepEqual(specs.map((s) => s.name), [...COMPONENTS]);
    const apiserver = specs.find((s) => s.name === 'kube-apiserver')!.args;
    assert.ok(apiserver.includes('--authorization-mode=Node,RBAC'));
    assert.ok(apiserver.includes(`--service-cluster-ip-range=${NETWORK.serviceCidr}`));
    assert.ok(apiserver.some((a) => a.startsWith('--kubelet-certificate-authority=')), 'the API server verifies kubelets');
    const users = IDENTITIES.map((i) => i.commonName);
    for (const user of ['system:kube-controller-manager', 'system:kube-scheduler', 'system:node:qoslab-node', 'system:kube-proxy']) assert.ok(users.includes(user), user);
  });

  it('serves DNS at the address the kubelet gives pods, from the image it imports', () => {
    const docs = parseAllDocuments(readFileSync(join(__dirname, '..', 'addons', 'coredns.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    const service = docs.find((d) => d.kind === 'Service');
    const deployment = docs.find((d) => d.kind === 'Deployment');
    assert.equal(service?.spec.clusterIP, NETWORK.dnsServiceAddress);
    assert.equal(service?.metadata.labels['k8s-app'], 'kube-dns', 'the kit\'s NetworkPolicies select DNS by this label');
    assert.equal(`docker.io/${deployment?.spec.template.spec.containers[0].image}`, COREDNS_IMAGE);
  });
});

describe('host checks', () => {
  const v1 = [
    '30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw',
    '31 30 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu',
    '32 30 0:28 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct',
    '33 30 0:29 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset',
    '34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
    '35 30 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids',
  ].join('\n');

  it('finds every cgroup v1 hierarchy and tracks its processes in pids', () => {
    const layout = cgroupLayout(v1, '/sys/fs/cgroup');
    assert.equal(layout.version, 1);
    assert.equal(layout.tracking, '/sys/fs/cgroup/pids');
    assert.equal(layout.hierarchies.length, 5);
  });

  it('refuses a machine without the memory controller, naming it', () => {
    assert.throws(() => cgroupLayout(v1.split('\n').filter((l) => !l.includes('memory')).join('\n'), '/sys/fs/cgroup'), /no usable cgroup: the cgroup v1 'memory' controller/);
    assert.throws(() => cgroupLayout('', '/sys/fs/cgroup'), /no usable cgroup: nothing is mounted/);
  });

  it('reads CAP_SYS_RESOURCE from the bounding set', () => {
    assert.equal(hasCapSysResource('CapBnd:\t000001fffeffffff\n'), false, 'this kind of machine: bit 24 cleared');
    assert.equal(hasCapSysResource('CapBnd:\t000001ffffffffff\n'), true);
  });
});
