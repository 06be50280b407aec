import { createServiceApp, parseRequest, type Readiness } from '@qoslab/http-kit';
import type { Logger } from '@qoslab/logger';
import type { Express } from 'express';
import { cpuJobRequest, memoryJobRequest } from '@qoslab/contracts';
import { JobAbandonedError, type JobLimits, type JobRunner } from './jobs';

export interface WorkerDeps {
  logger: Logger;
  readiness: Readiness;
  runner: JobRunner;
  limits: JobLimits;
  faultInjectionEnabled?: boolean;
}

export function createApp({ logger, readiness, runner, limits, faultInjectionEnabled }: WorkerDeps): Express {
  const cpuJob = cpuJobRequest(limits);
  const memoryJob = memoryJobRequest(limits);

  return createServiceApp({ service: 'worker', logger, readiness, faultInjectionEnabled }, (app) => {
    app.post('/jobs/cpu', async (req, res) => {
      const { units } = parseRequest(cpuJob, req.body, 'body');
      // A queued job whose client gave up is not run: its CPU would only delay the jobs behind it.
      const abandoned = new AbortController();
      res.once('close', () => abandoned.abort());
      try {
        res.json(await runner.cpu(units, abandoned.signal));
      } catch (error) {
        if (!(error instanceof JobAbandonedError)) throw error;
      }
    });

    app.post('/jobs/memory', async (req, res) => {
      const { mib, holdMs } = parseRequest(memoryJob, req.body, 'body');
      res.json(await runner.memory(mib, holdMs));
    });
  });
}
