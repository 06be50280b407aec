// Schema validation (sigs.k8s.io/kubectl-validate with the OpenAPI documents of the kind node's
// Kubernetes version) and Pod Security "restricted" (k8s.io/pod-security-admission), both through
// tools/kube-check, over everything the cluster receives; and proof that both checks can fail.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { repoRoot } from '@qoslab/native-stack';
import { TEMPLATE_PATHS } from '@qoslab/qos-cli';
import { deployed, deployedText, k8sDir, kubeCheck, label, podTemplate, runKubeCheck, type Obj } from './support';

let everything: string;
before(() => {
  kubeCheck();
  everything = deployedText();
});

describe('schema validation (kubectl-validate, offline)', () => {
  it('validates against the Kubernetes version of the kind node image', () => {
    const cluster = readFileSync(join(k8sDir, 'kind', 'cluster.yaml'), 'utf8');
    const nodeVersion = /image: kindest\/node:(v[\d.]+)@sha256:[0-9a-f]{64}/.exec(cluster)?.[1];
    const schemaVersion = readFileSync(join(dirname(kubeCheck()), 'schemas', 'VERSION'), 'utf8').trim();
    assert.equal(schemaVersion, nodeVersion);
  });

  it('passes every rendered object', () => {
    const { status, stdout, stderr } = runKubeCheck(['schema', '--json', '-'], everything);
    assert.equal(status, 0, `${stderr}\n${stdout.split('\n').filter((l) => l.includes('"error"')).join('\n')}`);
    const results = JSON.parse(stdout) as { kind: string; valid: boolean }[];
    assert.equal(results.length, deployed().length, 'every object was checked');
    assert.ok(results.every((r) => r.valid));
  });

  it('rejects wrong types, unknown fields, missing required fields, bad names and unknown kinds', () => {
    const gateway = deployed().find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway') as Obj;
    const broken = (mutate: (d: Obj) => void): string => {
      const copy = structuredClone(gateway);
      mutate(copy);
      return stringify(copy);
    };
    const cases: [string, string, RegExp][] = [
      ['wrong type', broken((d) => (d.spec.replicas = 'two')), /spec\.replicas/],
      ['unknown field', broken((d) => (d.spec.template.spec.containers[0].imagePullPolicyy = 'Always')), /unknown field/],
      ['missing selector', broken((d) => delete d.spec.selector), /spec\.selector: Required value/],
      ['bad name', broken((d) => (d.metadata.name = 'Not_A_Name')), /metadata\.name/],
      ['unknown kind', 'apiVersion: v1\nkind: Frobnicator\nmetadata: { name: x }\n', /Frobnicator/],
    ];
    for (const [what, text, pattern] of cases) {
      const { status, stdout } = runKubeCheck(['schema', '-'], text);
      assert.equal(status, 1, `${what}: ${stdout}`);
      assert.match(stdout, pattern, what);
    }
  });

  it('answers bad input with exit status 2', () => {
    assert.equal(runKubeCheck(['schema', '-'], 'kind: [').status, 2);
  });
});

describe('Pod Security "restricted" (pod-security-admission, latest)', () => {
  it('kube-check and the qos CLI find pod templates in the same kinds, at the same paths', () => {
    const go = readFileSync(join(repoRoot, 'tools', 'kube-check', 'psa.go'), 'utf8');
    const table = go.slice(go.indexOf('var templatePaths'), go.indexOf('\n}', go.indexOf('var templatePaths')));
    const paths = Object.fromEntries(
      [...table.matchAll(/"(\w+)":\s+(nil|\{([^}]*)\})/g)].map((match) => [match[1], match[2] === 'nil' ? [] : [...(match[3] ?? '').matchAll(/"(\w+)"/g)].map((key) => key[1])]),
    );
    assert.ok(Object.keys(paths).length >= 9, `read only ${Object.keys(paths).join(', ')} from psa.go`);
    assert.deepEqual(paths, TEMPLATE_PATHS);
  });

  it('admits every pod template', () => {
    const { status, stdout, stderr } = runKubeCheck(['psa', '--json', '-'], everything);
    assert.equal(status, 0, `${stderr}${stdout}`);
    const results = JSON.parse(stdout) as { kind: string; name: string; allowed: boolean }[];
    const templates = deployed().filter((o) => podTemplate(o) !== undefined);
    assert.deepEqual(results.map((r) => `${r.kind}/${r.name}`).sort(), templates.map((o) => `${o.kind}/${o.metadata.name}`).sort());
  });

  it('rejects a privileged root pod, with the reasons', () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: bad }\nspec:\n  hostNetwork: true\n  containers:\n    - name: c\n      image: busybox\n      securityContext: { privileged: true, runAsUser: 0 }\n';
    const { status, stdout } = runKubeCheck(['psa', '-'], pod);
    assert.equal(status, 1);
    for (const reason of ['host namespaces', 'privileged', 'allowPrivilegeEscalation != false', 'unrestricted capabilities', 'runAsNonRoot != true', 'seccompProfile']) {
      assert.ok(stdout.includes(reason), `${reason} in: ${stdout}`);
    }
  });

  it('rejects any of the shipped templates once one hardening setting is removed', () => {
    const templates = deployed().filter((o) => podTemplate(o) !== undefined);
    const removals: [string, (spec: Obj) => void][] = [
      ['allowPrivilegeEscalation', (s) => delete s.containers[0].securityContext.allowPrivilegeEscalation],
      ['capabilities', (s) => delete s.containers[0].securityContext.capabilities],
      ['runAsNonRoot', (s) => delete s.securityContext.runAsNonRoot],
      ['seccompProfile', (s) => delete s.securityContext.seccompProfile],
    ];
    for (const obj of templates) {
      for (const [setting, remove] of removals) {
        const copy = structuredClone(obj);
        remove((podTemplate(copy) as Obj).spec);
        const { status } = runKubeCheck(['psa', '-'], stringify(copy));
        assert.equal(status, 1, `${label(obj)} without ${setting} must be rejected`);
      }
    }
  });
});
