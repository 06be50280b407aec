import type { RequestHandler } from 'express';
import { HttpError, ValidationError } from './errors';
import { requestContext } from './request-context';
import { PROBLEM_TYPES } from '@qoslab/contracts';

export const FAULT_HEADER = 'x-fault-inject';
const MAX_DELAY_MS = 60_000;

export interface Fault {
  service: string;
  delayMs?: number;
  status?: number;
}

/** Parses `service:delay=ms,status=code; other:...`. Throws ValidationError on anything else. */
export function parseFaultHeader(value: string): Fault[] {
  if (value.length > 512) throw new ValidationError([{ path: `header.${FAULT_HEADER}`, message: 'too long' }]);
  return value
    .split(';')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^([a-z][a-z0-9-]{0,62}):(.+)$/.exec(entry);
      if (!match) throw invalid(`"${entry}" is not <service>:<kind>=<value>`);
      const fault: Fault = { service: match[1] as string };
      for (const setting of (match[2] as string).split(',')) {
        const [kind, raw] = setting.split('=').map((part) => part.trim());
        if (!raw || !/^\d+$/.test(raw)) throw invalid(`"${setting}" needs a numeric value`);
        const number = Number(raw);
        if (kind === 'delay' && number <= MAX_DELAY_MS) fault.delayMs = number;
        else if (kind === 'status' && number >= 400 && number <= 599) fault.status = number;
        else throw invalid(`"${setting}": use delay=0..${MAX_DELAY_MS} or status=400..599`);
      }
      return fault;
    });
}

function invalid(message: string): ValidationError {
  return new ValidationError([{ path: `header.${FAULT_HEADER}`, message }]);
}

/**
 * Honours `x-fault-inject` for this service and keeps the header for downstream calls. Only mounted
 * when FAULT_INJECTION_ENABLED=true; otherwise the header is ignored and not forwarded.
 */
export function faultInjection(service: string): RequestHandler {
  return (req, _res, next) => {
    const header = req.get(FAULT_HEADER);
    if (!header) return next();
    const context = requestContext.getStore();
    if (context) context.faultHeader = header;
    const faults = parseFaultHeader(header).filter((fault) => fault.service === service);
    const delayMs = faults.reduce((sum, fault) => sum + (fault.delayMs ?? 0), 0);
    const status = faults.find((fault) => fault.status !== undefined)?.status;
    const act = () =>
      next(status === undefined ? undefined : new HttpError(status, 'Injected fault', `fault injected by ${FAULT_HEADER}`, PROBLEM_TYPES.injectedFault));
    if (delayMs > 0) setTimeout(act, delayMs).unref();
    else act();
  };
}
