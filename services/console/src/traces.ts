import type { JaegerKeyValue, JaegerTrace } from '@qoslab/observability-client';
import { z } from 'zod';

/** A W3C trace id (32 hex digits); Jaeger also accepts shorter ids without their leading zeros. */
export const traceId = z
  .string()
  .regex(/^[0-9a-fA-F]{1,32}$/, 'must be 1 to 32 hexadecimal digits (a W3C trace id has 32)')
  .transform((id) => id.toLowerCase().padStart(32, '0'));

export type { JaegerTrace };

type Value = JaegerKeyValue['value'];

interface WaterfallSpan {
  spanId: string;
  parentId?: string;
  service: string;
  name: string;
  kind?: string;
  /** Microseconds from the start of the trace. */
  offsetUs: number;
  durationUs: number;
  depth: number;
  error: boolean;
  attributes: Record<string, Value>;
  events: { name: string; offsetUs: number; attributes: Record<string, Value> }[];
}

export interface Waterfall {
  traceId: string;
  startedAt: string;
  durationUs: number;
  services: string[];
  /** Parents before children, siblings by start time. */
  spans: WaterfallSpan[];
}

const toRecord = (pairs: JaegerKeyValue[] = []) => Object.fromEntries(pairs.map(({ key, value }) => [key, value]));

export function toWaterfall(trace: JaegerTrace): Waterfall {
  const start = Math.min(...trace.spans.map((span) => span.startTime));
  const end = Math.max(...trace.spans.map((span) => span.startTime + span.duration));
  const ids = new Set(trace.spans.map((span) => span.spanID));
  const children = new Map<string | undefined, JaegerTrace['spans']>();
  for (const span of trace.spans) {
    const parent = span.references?.find((ref) => ref.refType === 'CHILD_OF' && ids.has(ref.spanID))?.spanID;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const spans: WaterfallSpan[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    for (const span of [...(children.get(parent) ?? [])].sort((a, b) => a.startTime - b.startTime)) {
      const tags = toRecord(span.tags);
      const kind = typeof tags['span.kind'] === 'string' ? tags['span.kind'] : undefined;
      const error = tags.error === true || tags['otel.status_code'] === 'ERROR';
      for (const key of ['span.kind', 'otel.status_code', 'error', 'internal.span.format']) delete tags[key];
      spans.push({
        spanId: span.spanID,
        ...(parent ? { parentId: parent } : {}),
        service: trace.processes[span.processID]?.serviceName ?? 'unknown',
        name: span.operationName,
        ...(kind ? { kind } : {}),
        offsetUs: span.startTime - start,
        durationUs: span.duration,
        depth,
        error,
        attributes: tags,
        events: (span.logs ?? []).map((log) => {
          const fields = toRecord(log.fields);
          const name = typeof fields.event === 'string' ? fields.event : 'event';
          delete fields.event;
          return { name, offsetUs: log.timestamp - start, attributes: fields };
        }),
      });
      visit(span.spanID, depth + 1);
    }
  };
  visit(undefined, 0);
  return {
    traceId: trace.traceID.padStart(32, '0'),
    startedAt: new Date(start / 1000).toISOString(),
    durationUs: end - start,
    services: [...new Set(spans.map((span) => span.service))],
    spans,
  };
}
