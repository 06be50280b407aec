// What the tests run is what ships, or the difference is written down: every version of Prometheus,
// Jaeger, the Collector and k6 that a shipped file pins is either the one tools/toolchain.sh builds
// or listed with its difference in docs/pipeline.md's version table.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '@qoslab/native-stack';

const PROGRAMS: Record<string, { image: RegExp; tool: string }> = {
  Prometheus: { image: /prom\/prometheus:v?([\d.]+)@sha256/g, tool: 'prometheus' },
  'OpenTelemetry Collector': { image: /otel\/opentelemetry-collector-contrib:([\d.]+)@sha256/g, tool: 'otelcol' },
  Jaeger: { image: /jaegertracing\/jaeger:([\d.]+)@sha256/g, tool: 'jaeger' },
  k6: { image: /grafana\/k6:([\d.]+)@sha256/g, tool: 'k6' },
};

function shippedFiles(): string[] {
  const out = [join(repoRoot, 'docker-compose.yml')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(name)) out.push(path);
    }
  };
  walk(join(repoRoot, 'k8s'));
  return out;
}

/** Program → versions pinned, with the files that pin each. */
function pinned(): Map<string, Map<string, string[]>> {
  const found = new Map<string, Map<string, string[]>>();
  for (const file of shippedFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const [program, { image }] of Object.entries(PROGRAMS)) {
      for (const match of text.matchAll(image)) {
        const versions = found.get(program) ?? new Map<string, string[]>();
        versions.set(match[1]!, [...(versions.get(match[1]!) ?? []), file.slice(repoRoot.length + 1)]);
        found.set(program, versions);
      }
    }
  }
  return found;
}

/** tools/toolchain.sh list: tool → the release it builds. */
function built(): Map<string, string> {
  const text = execFileSync('bash', [join(repoRoot, 'tools', 'toolchain.sh'), 'list'], { encoding: 'utf8' });
  return new Map(text.trim().split('\n').map((line) => {
    const [tool = '', version = ''] = line.split('\t');
    return [tool, version.split(' ')[0]!];
  }));
}

interface Row {
  pin: string;
  run: string;
  difference: string;
}

function table(): Map<string, Row> {
  const doc = readFileSync(join(repoRoot, 'docs', 'pipeline.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### Versions'));
  const rows = new Map<string, Row>();
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 4 || cells[0] === 'program' || /^-+$/.test(cells[0]!)) continue;
    rows.set(cells[0]!, { pin: cells[1]!, run: cells[2]!, difference: cells[3]! });
  }
  return rows;
}

describe('versions: shipped and tested', () => {
  const rows = table();
  const tools = built();
  const pins = pinned();

  for (const [program, { tool }] of Object.entries(PROGRAMS)) {
    it(`${program}: every shipped pin is the version the tests run, or its difference is in docs/pipeline.md`, () => {
      const versions = pins.get(program);
      assert.ok(versions && versions.size > 0, `no shipped file pins ${program}`);
      const row = rows.get(program);
      assert.ok(row, `docs/pipeline.md's version table has no row for ${program}`);
      assert.equal(row.run, tools.get(tool), `the table says the tests run ${row.run}; tools/toolchain.sh builds ${tools.get(tool)}`);
      for (const [version, files] of versions) {
        assert.equal(version, row.pin, `${files.join(', ')} pin ${program} ${version}; the table lists ${row.pin}`);
      }
      if (row.pin !== row.run) assert.ok(row.difference && !/^none\b/.test(row.difference), `${program}: ${row.pin} shipped, ${row.run} tested, and no difference written down`);
      else assert.ok(row.difference.length > 0);
    });
  }
});
