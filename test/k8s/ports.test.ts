// One table holds the programs' ports (SERVICE_PORTS in @qoslab/contracts): the services' defaults and the
// native stack take them from it; the shipped compose file and manifests are checked against it here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ProgramName, SERVICE_PORTS } from '@qoslab/contracts';
import { repoRoot } from '@qoslab/native-stack';
import { parse as parseYaml } from 'yaml';
import { deployed, deployedText, label, podTemplate, type Obj } from './support';

const PROGRAMS = Object.keys(SERVICE_PORTS) as ProgramName[];
/** The program a name stands for: itself, or a QoS variant of the worker (worker-guaranteed, …). */
const programOf = (name: unknown): ProgramName | undefined => PROGRAMS.find((program) => name === program || String(name).startsWith(`${program}-`));

/** Every http://<program>[.namespace…]:<port> in a text whose port is not the program's. */
function wrongUrls(text: string): string[] {
  const wrong: string[] = [];
  for (const match of text.matchAll(/http:\/\/([a-z][a-z0-9-]*)(?:\.[a-z0-9.-]+)?:(\d+)/g)) {
    const program = programOf(match[1]);
    if (program && Number(match[2]) !== SERVICE_PORTS[program]) wrong.push(`${match[0]} (${program} listens on ${SERVICE_PORTS[program]})`);
  }
  return wrong;
}

const composeText = () => readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');

describe('ports: one table, and the shipped files agree with it', () => {
  it('the Kubernetes manifests: container ports, PORT and the URLs between services', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const obj of deployed()) {
      const template = podTemplate(obj);
      const program = programOf(obj.metadata?.labels?.['app.kubernetes.io/name'] ?? obj.metadata?.name);
      if (template && program) {
        const container = (template.spec.containers as Obj[])[0] as Obj;
        const ports = ((container.ports ?? []) as Obj[]).map((port) => port.containerPort);
        const env = ((container.env ?? []) as Obj[]).find((variable) => variable.name === 'PORT')?.value;
        if (!ports.includes(SERVICE_PORTS[program])) problems.push(`${label(obj)}: container ports ${ports.join(', ')}, not ${SERVICE_PORTS[program]}`);
        if (env !== undefined && Number(env) !== SERVICE_PORTS[program]) problems.push(`${label(obj)}: PORT=${env}, not ${SERVICE_PORTS[program]}`);
        checked++;
      }
      if (obj.kind === 'Service' && program) {
        for (const port of obj.spec.ports as Obj[]) {
          if (port.targetPort !== 'http' && port.targetPort !== SERVICE_PORTS[program]) problems.push(`${label(obj)}: targetPort ${port.targetPort}`);
        }
      }
    }
    problems.push(...wrongUrls(deployedText()));
    assert.ok(checked >= PROGRAMS.length, `only ${checked} workloads of the kit's programs found`);
    assert.deepEqual(problems, []);
  });

  it('docker-compose.yml: PORT, the container side of each published port and the URLs between services', () => {
    const compose = parseYaml(composeText()) as { services: Record<string, Obj> };
    const problems: string[] = [];
    let checked = 0;
    for (const [name, service] of Object.entries(compose.services)) {
      const program = programOf(name);
      if (!program || name.startsWith('loadtest')) continue;
      const environment = Array.isArray(service.environment)
        ? Object.fromEntries((service.environment as string[]).map((entry) => entry.split('=', 2)))
        : ((service.environment ?? {}) as Record<string, unknown>);
      if (environment.PORT !== undefined && Number(environment.PORT) !== SERVICE_PORTS[program]) problems.push(`${name}: PORT=${String(environment.PORT)}`);
      for (const published of (service.ports ?? []) as string[]) {
        const inside = Number(String(published).split(':').at(-1));
        if (inside !== SERVICE_PORTS[program]) problems.push(`${name}: publishes container port ${inside}, not ${SERVICE_PORTS[program]}`);
      }
      checked++;
    }
    problems.push(...wrongUrls(composeText()));
    assert.ok(checked >= PROGRAMS.length, `only ${checked} compose services of the kit's programs found`);
    assert.deepEqual(problems, []);
  });

  it('the check finds a wrong port', () => {
    assert.deepEqual(wrongUrls('CATALOG_URL: http://catalog.shop.svc:8082 ORDERS_URL: http://orders:8082'), ['http://catalog.shop.svc:8082 (catalog listens on 8081)']);
  });
});
