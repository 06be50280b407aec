import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError, parseManifests, podTemplates, readManifests } from './manifests.js';

const spec = `containers:
        - name: app
          image: example
          resources:
            limits: { cpu: 500m, memory: 256Mi }`;

const ALL_KINDS = `
apiVersion: v1
kind: Pod
metadata: { name: pod, namespace: ns }
spec:
  containers:
    - name: app
      resources: { requests: { cpu: 100m } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: deploy, namespace: ns }
spec:
  template:
    spec:
      ${spec}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: sts }
spec:
  template:
    spec:
      ${spec}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: ds }
spec:
  template:
    spec:
      ${spec}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: { name: rs }
spec:
  template:
    spec:
      ${spec}
---
apiVersion: batch/v1
kind: Job
metadata: { name: job }
spec:
  template:
    spec:
      ${spec}
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: cron }
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: app
---
apiVersion: v1
kind: Service
metadata: { name: svc }
spec: { ports: [{ port: 80 }] }
`;

describe('reading manifest sets', () => {
  it('finds the pod template of every workload kind and skips other kinds', () => {
    const templates = podTemplates(parseManifests(ALL_KINDS, 'all.yaml'));
    assert.deepEqual(
      templates.map((t) => `${t.kind}/${t.name}`),
      ['Pod/pod', 'Deployment/deploy', 'StatefulSet/sts', 'DaemonSet/ds', 'ReplicaSet/rs', 'Job/job', 'CronJob/cron'],
    );
    assert.equal(templates[1]?.pod.containers[0]?.limits?.get('memory')?.text, '256Mi');
    assert.equal(templates[6]?.pod.containers[0]?.limits, undefined);
    assert.equal(templates[0]?.namespace, 'ns');
  });

  it('expands Lists, as kubectl get -o yaml prints them', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { containers: [{ name: 'c' }] }, status: { qosClass: 'BestEffort' } }] };
    const templates = podTemplates(parseManifests(JSON.stringify(list), 'list.json'));
    assert.equal(templates.length, 1);
    assert.equal(templates[0]?.reportedClass, 'BestEffort');
  });

  it('reads pod template annotations and init containers', () => {
    const text = `kind: Deployment
metadata: { name: d }
spec:
  template:
    metadata:
      annotations: { qoslab.dev/expected-qos-class: Burstable }
    spec:
      initContainers: [{ name: proxy, restartPolicy: Always }]
      containers: [{ name: app }]
`;
    const [t] = podTemplates(parseManifests(text, 'd.yaml'));
    assert.equal(t?.annotations['qoslab.dev/expected-qos-class'], 'Burstable');
    assert.equal(t?.pod.initContainers[0]?.restartPolicy, 'Always');
  });

  it('reads directories recursively, YAML and JSON only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qos-manifests-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.yaml'), 'kind: Pod\nmetadata: { name: a }\nspec: { containers: [{ name: c }] }\n');
    writeFileSync(join(dir, 'sub', 'b.json'), JSON.stringify({ kind: 'Pod', metadata: { name: 'b' }, spec: { containers: [{ name: 'c' }] } }));
    writeFileSync(join(dir, 'notes.txt'), 'not yaml: [');
    const names = podTemplates(readManifests([dir], () => '')).map((t) => t.name);
    assert.deepEqual(names, ['a', 'b']);
  });

  it('reads stdin for -', () => {
    const templates = podTemplates(readManifests(['-'], () => 'kind: Pod\nmetadata: { name: s }\nspec: { containers: [{ name: c }] }\n'));
    assert.equal(templates[0]?.source, 'stdin');
  });
});

describe('bad input is an InputError with one clear line', () => {
  const fails = (text: string, pattern: RegExp): void => {
    assert.throws(
      () => podTemplates(parseManifests(text, 'bad.yaml')),
      (error: unknown) => error instanceof InputError && pattern.test(error.message) && !error.message.includes('\n'),
    );
  };

  it('names unreadable YAML and its line', () => fails('kind: Pod\nspec: [unclosed\n', /bad\.yaml: not valid YAML at line \d+/));
  it('refuses a document that is not an object', () => fails('just a string\n', /not a Kubernetes object/));
  it('refuses an object without kind', () => fails('metadata: { name: x }\n', /no kind/));
  it('names the field of a bad quantity', () =>
    fails('kind: Pod\nmetadata: { name: p }\nspec:\n  containers:\n    - name: app\n      resources: { limits: { memory: 12Mb } }\n', /Pod p: spec\.containers\[app\]\.resources\.limits\.memory: "12Mb" is not a valid quantity/));
  it('refuses negative quantities', () =>
    fails('kind: Pod\nmetadata: { name: p }\nspec: { containers: [{ name: a, resources: { requests: { cpu: "-1" } } }] }\n', /negative/));
  it('refuses a request above its limit, as the API server does', () =>
    fails('kind: Pod\nmetadata: { name: p }\nspec: { containers: [{ name: a, resources: { requests: { cpu: 2 }, limits: { cpu: 1 } } }] }\n', /cpu request 2 exceeds the limit 1/));
  it('refuses a workload without a pod template', () => fails('kind: Deployment\nmetadata: { name: d }\nspec: {}\n', /no pod template at \.spec\.template/));
  it('refuses a template without containers', () => fails('kind: Pod\nmetadata: { name: p }\nspec: { containers: [] }\n', /no containers/));
  it('names a missing file', () => {
    assert.throws(() => readManifests(['/nonexistent/x.yaml'], () => ''), /\/nonexistent\/x\.yaml: no such file or directory/);
  });
});
