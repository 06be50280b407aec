import { dirname, join } from 'node:path';
import { uuid } from '@qoslab/contracts';
import { createServiceApp, HttpError, NotFoundError, parseRequest, type Readiness, type Upstream, UpstreamError } from '@qoslab/http-kit';
import type { Logger } from '@qoslab/logger';
import express, { type Express } from 'express';
import { z } from 'zod';
import { type Dashboard, expand, legend } from './dashboards';
import { type JaegerTrace, toWaterfall, traceId } from './traces';

export interface ConsoleDeps {
  logger: Logger;
  readiness: Readiness;
  jaeger: Upstream;
  prometheus: Upstream;
  dashboards: Dashboard[];
  scrapeIntervalS: number;
  /** The real UIs, where they run (compose, kind). */
  links?: { jaegerUi?: string; grafana?: string };
}

interface PromResponse<T> {
  status: string;
  error?: string;
  data: T;
}

const panelParams = z.strictObject({ uid: z.string().min(1).max(100), id: z.coerce.number().int().min(0) });
const panelQuery = z.strictObject({ minutes: z.coerce.number().int().min(1).max(1440).default(15) });
const uplotDir = dirname(require.resolve('uplot/dist/uPlot.esm.js'));
// Points per panel, as a Grafana panel a few hundred pixels wide asks for.
const POINTS = 240;

export function createApp({ logger, readiness, jaeger, prometheus, dashboards, scrapeIntervalS, links = {} }: ConsoleDeps): Express {
  // A PromQL error is the dashboard's fault or Prometheus's, never the page's: 502 with what Prometheus said.
  async function prom<T>(path: string): Promise<T> {
    try {
      const { body } = await prometheus.request<PromResponse<T>>(path);
      return body.data;
    } catch (error) {
      if (error instanceof HttpError && error.status < 500) throw new UpstreamError('prometheus', `Prometheus refused ${path}: ${error.title}`);
      throw error;
    }
  }

  async function jaegerTrace(path: string, missing: string) {
    try {
      const { body } = await jaeger.request<{ data: JaegerTrace[] | null }>(path);
      const trace = body.data?.[0];
      if (!trace || trace.spans.length === 0) throw new NotFoundError(missing);
      return toWaterfall(trace);
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) throw new NotFoundError(missing);
      throw error;
    }
  }

  return createServiceApp({ service: 'console', logger, readiness }, (app) => {
    app.use('/vendor', express.static(uplotDir, { index: false, maxAge: '1h' }));
    app.use(express.static(join(__dirname, '..', 'public'), { maxAge: 0 }));

    app.get('/api/dashboards', (_req, res) => {
      res.json({
        links,
        dashboards: dashboards.map(({ uid, title, panels }) => ({
          uid,
          title,
          panels: panels.map(({ id, title: name, description, unit, row }) => ({ id, title: name, description, unit, row })),
        })),
      });
    });

    app.get('/api/dashboards/:uid/panels/:id', async (req, res) => {
      const { uid, id } = parseRequest(panelParams, req.params, 'params');
      const { minutes } = parseRequest(panelQuery, req.query, 'query');
      const dashboard = dashboards.find((one) => one.uid === uid);
      const panel = dashboard?.panels.find((one) => one.id === id);
      if (!dashboard || !panel) throw new NotFoundError(`No time-series panel ${id} in dashboard ${uid}.`);
      const end = Math.floor(Date.now() / 1000);
      const start = end - minutes * 60;
      const step = Math.max(5, Math.ceil((minutes * 60) / POINTS));
      const values: Record<string, string[] | string> = {};
      for (const variable of dashboard.variables) {
        if (variable.allValue !== undefined) {
          values[variable.name] = variable.allValue;
          continue;
        }
        const match = encodeURIComponent(variable.metric);
        values[variable.name] = (await prom<string[]>(`/api/v1/label/${variable.label}/values?match[]=${match}&start=${start}&end=${end}`)).sort();
      }
      const series = [];
      for (const target of panel.targets) {
        const query = expand(target.expr, values, step, scrapeIntervalS);
        const result = await prom<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>(
          `/api/v1/query_range?query=${encodeURIComponent(query)}&start=${start}&end=${end}&step=${step}`,
        );
        for (const one of result.result) {
          series.push({ name: legend(target, one.metric), points: one.values.map(([t, v]) => [t, Number(v)]) });
        }
      }
      res.json({ start, end, step, variables: values, series });
    });

    app.get('/api/traces/:traceId', async (req, res) => {
      const { traceId: id } = parseRequest(z.strictObject({ traceId }), req.params, 'params');
      res.json(await jaegerTrace(`/api/traces/${id}`, `Jaeger has no trace ${id} (spans reach it a few seconds after the request).`));
    });

    app.get('/api/orders/:orderId/trace', async (req, res) => {
      const { orderId } = parseRequest(z.strictObject({ orderId: uuid }), req.params, 'params');
      const tags = encodeURIComponent(JSON.stringify({ 'shop.order.id': orderId }));
      res.json(await jaegerTrace(`/api/traces?service=orders&tags=${tags}&lookback=2h&limit=1`, `Jaeger has no trace of order ${orderId} yet.`));
    });
  });
}
