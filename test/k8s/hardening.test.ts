// The talk's hardening list ("Hacking and Defending Kubernetes Clusters", KubeCon EU 2023), walked
// over everything the cluster receives: network segmentation, no NodePorts, no default passwords,
// least privilege, Pod Security labels, token automount off, images pinned by digest.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { allContainers, deployed, k8sDir, label, podTemplate, type Obj } from './support';

const objects = (): Obj[] => deployed();
const NAMESPACES = ['shop', 'observability', 'qos-lab'];
const DIGEST = /@sha256:[0-9a-f]{64}$/;

describe('network segmentation (MS-M9002 restrict access, segment the network)', () => {
  it('denies all ingress and egress by default in every namespace with workloads', () => {
    const withWorkloads = new Set(objects().filter((o) => podTemplate(o)).map((o) => o.metadata.namespace));
    assert.deepEqual([...withWorkloads].sort(), [...NAMESPACES].sort());
    for (const namespace of withWorkloads) {
      const denyAll = objects().find(
        (o) =>
          o.kind === 'NetworkPolicy' &&
          o.metadata.namespace === namespace &&
          Object.keys(o.spec.podSelector ?? {}).length === 0 &&
          [...(o.spec.policyTypes ?? [])].sort().join() === 'Egress,Ingress' &&
          o.spec.ingress === undefined &&
          o.spec.egress === undefined,
      );
      assert.ok(denyAll, `default-deny NetworkPolicy in ${namespace}`);
    }
  });

  it('never allows traffic from or to everywhere', () => {
    for (const policy of objects().filter((o) => o.kind === 'NetworkPolicy')) {
      for (const rule of policy.spec.ingress ?? []) assert.ok(rule.from?.length && rule.ports?.length, `${label(policy)}: ingress rules name peers and ports`);
      for (const rule of policy.spec.egress ?? []) assert.ok(rule.ports?.length, `${label(policy)}: egress rules name ports`);
    }
  });

  it('exposes no NodePort or LoadBalancer services and no host ports', () => {
    for (const service of objects().filter((o) => o.kind === 'Service')) {
      assert.equal(service.spec.type ?? 'ClusterIP', 'ClusterIP', label(service));
      for (const port of service.spec.ports) assert.equal(port.nodePort, undefined, label(service));
    }
    for (const obj of objects()) {
      const template = podTemplate(obj);
      if (!template) continue;
      assert.ok(!template.spec.hostNetwork && !template.spec.hostPID && !template.spec.hostIPC, label(obj));
      for (const c of allContainers(template)) for (const p of c.ports ?? []) assert.equal(p.hostPort, undefined, label(obj));
    }
  });

  it('maps no kind node port into the NodePort range', () => {
    const cluster = parseYaml(readFileSync(join(k8sDir, 'kind', 'cluster.yaml'), 'utf8')) as Obj;
    for (const node of cluster.nodes) {
      for (const mapping of node.extraPortMappings ?? []) assert.ok(mapping.containerPort < 30000 || mapping.containerPort > 32767);
    }
  });
});

describe('strong authentication: no default passwords, no secrets in git', () => {
  it('ships no Secret: they are generated at deploy time', () => {
    assert.deepEqual(objects().filter((o) => o.kind === 'Secret').map(label), []);
  });

  it('takes every password, token and key from a Secret, never a literal', () => {
    for (const obj of objects()) {
      const template = podTemplate(obj);
      if (!template) continue;
      for (const c of allContainers(template)) {
        for (const env of c.env ?? []) {
          if (!/PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY/i.test(env.name)) continue;
          assert.ok(env.valueFrom?.secretKeyRef, `${label(obj)} ${c.name}: ${env.name} must come from a Secret`);
        }
        for (const env of c.env ?? []) {
          if (typeof env.value === 'string' && /:\/\/[^/\s:@]+:[^@\s]+@/.test(env.value)) {
            assert.match(env.value, /:\/\/[^/\s:@]+:\$\([A-Z_]+\)@/, `${label(obj)}: credentials in ${env.name} must be a $(VAR) from a Secret`);
          }
        }
      }
    }
  });

  it('gives Grafana an admin password from a Secret and anonymous users read-only access', () => {
    const grafana = objects().find((o) => o.kind === 'Deployment' && o.metadata.name === 'grafana') as Obj;
    const env = new Map((grafana.spec.template.spec.containers[0].env as Obj[]).map((e) => [e.name, e]));
    assert.equal(env.get('GF_SECURITY_ADMIN_PASSWORD')?.valueFrom?.secretKeyRef?.name, 'grafana-admin');
    assert.equal(env.get('GF_AUTH_ANONYMOUS_ORG_ROLE')?.value, 'Viewer');
  });
});

describe('least privilege (MS-M9003) and restricted containers (MS-M9013)', () => {
  it('grants read-only RBAC without wildcards, secrets or escalation', () => {
    const roles = objects().filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');
    assert.ok(roles.length > 0);
    for (const role of roles) {
      for (const rule of role.rules) {
        for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames']) assert.ok(!(rule[field] ?? []).includes('*'), `${label(role)}: no * in ${field}`);
        assert.ok(!rule.resources.some((r: string) => r === 'secrets' || r.startsWith('secrets/')), `${label(role)}: no secrets`);
        for (const verb of rule.verbs) assert.ok(['get', 'list', 'watch'].includes(verb), `${label(role)}: read-only, not ${verb}`);
      }
    }
  });

  it('binds no built-in powerful role and only the Collector to a cluster role', () => {
    for (const binding of objects().filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) {
      assert.ok(!['cluster-admin', 'admin', 'edit', 'system:masters'].includes(binding.roleRef.name), label(binding));
      assert.deepEqual(binding.subjects.map((s: Obj) => `${s.namespace}/${s.name}`), ['observability/otel-collector']);
    }
  });

  it('runs every container non-root with a read-only root filesystem, no capabilities and no escalation', () => {
    for (const obj of objects()) {
      const template = podTemplate(obj);
      if (!template) continue;
      const pod = template.spec.securityContext ?? {};
      assert.equal(pod.runAsNonRoot, true, label(obj));
      assert.ok(Number.isInteger(pod.runAsUser) && pod.runAsUser > 0, `${label(obj)}: numeric non-root runAsUser`);
      assert.equal(pod.seccompProfile?.type, 'RuntimeDefault', label(obj));
      for (const c of allContainers(template)) {
        const sc = c.securityContext ?? {};
        assert.equal(sc.readOnlyRootFilesystem, true, `${label(obj)} ${c.name}`);
        assert.equal(sc.allowPrivilegeEscalation, false, `${label(obj)} ${c.name}`);
        assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${label(obj)} ${c.name}`);
        assert.equal(sc.capabilities?.add, undefined, `${label(obj)} ${c.name}`);
        assert.ok(!sc.privileged, `${label(obj)} ${c.name}`);
      }
    }
  });
});

describe('Pod Security Standards labels (MS-M9017)', () => {
  it('labels every namespace restricted for enforce, audit and warn', () => {
    const namespaces = objects().filter((o) => o.kind === 'Namespace');
    assert.deepEqual(namespaces.map((n) => n.metadata.name).sort(), [...NAMESPACES].sort());
    for (const ns of namespaces) {
      for (const mode of ['enforce', 'audit', 'warn']) {
        assert.equal(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`], 'restricted', `${ns.metadata.name} ${mode}`);
        assert.equal(ns.metadata.labels[`pod-security.kubernetes.io/${mode}-version`], 'latest', `${ns.metadata.name} ${mode}-version`);
      }
    }
  });
});

describe('service account tokens (MS-M9025)', () => {
  it('mounts no token anywhere but in the Collector', () => {
    const mounting: string[] = [];
    for (const obj of objects()) {
      if (obj.kind === 'ServiceAccount' && obj.automountServiceAccountToken !== false) mounting.push(label(obj));
      const template = podTemplate(obj);
      if (template && template.spec.automountServiceAccountToken !== false) mounting.push(label(obj));
    }
    assert.deepEqual(mounting.sort(), ['DaemonSet observability/otel-collector', 'ServiceAccount observability/otel-collector']);
  });
});

describe('images pinned by digest', () => {
  it("pins every third-party image by digest, and names the kit's own by their package version (loaded into the node, never pulled)", () => {
    for (const obj of objects()) {
      const template = podTemplate(obj);
      if (!template) continue;
      for (const c of allContainers(template)) {
        const own = /^qoslab\/([a-z]+):(\d+\.\d+\.\d+)$/.exec(c.image);
        if (own) {
          const version = (JSON.parse(readFileSync(join(k8sDir, '..', 'services', own[1]!, 'package.json'), 'utf8')) as { version: string }).version;
          assert.equal(own[2], version, `${label(obj)} ${c.name}: the tag is services/${own[1]}/package.json's version`);
          assert.equal(c.imagePullPolicy, 'IfNotPresent', `${label(obj)} ${c.name}: never pulled while it is on the node`);
        } else assert.match(c.image, DIGEST, `${label(obj)} ${c.name}: ${c.image}`);
      }
    }
  });

  it('refuses, at admission, what is neither: the pinned-images policy binds every namespace of the kit', () => {
    const policy = objects().find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === 'qoslab-pinned-images');
    const binding = objects().find((o) => o.kind === 'ValidatingAdmissionPolicyBinding' && o.spec.policyName === 'qoslab-pinned-images');
    assert.ok(policy && binding);
    assert.deepEqual(binding.spec.validationActions, ['Deny']);
    for (const ns of objects().filter((o) => o.kind === 'Namespace')) {
      for (const [key, value] of Object.entries(binding.spec.matchResources.namespaceSelector.matchLabels as Record<string, string>)) assert.equal(ns.metadata.labels?.[key], value, `${ns.metadata.name}: ${key}`);
    }
  });

  it('uses no latest tag, and keeps a readable tag on third-party images', () => {
    for (const obj of objects()) {
      const template = podTemplate(obj);
      if (!template) continue;
      for (const c of allContainers(template)) {
        assert.doesNotMatch(c.image, /:latest(@|$)/, `${label(obj)} ${c.name}`);
        if (!c.image.startsWith('qoslab/')) assert.match(c.image, /^[^@]+:[^@/]+@sha256:/, `${label(obj)} ${c.name}: repo:tag@digest`);
      }
    }
  });

  it('pins the kind node image too', () => {
    const cluster = parseYaml(readFileSync(join(k8sDir, 'kind', 'cluster.yaml'), 'utf8')) as Obj;
    for (const node of cluster.nodes) assert.match(node.image, /^kindest\/node:v[\d.]+@sha256:[0-9a-f]{64}$/);
  });
});
