// Named load shapes. A shape is a series of stages, each reaching a level (a fraction of the peak) over
// its duration; the same shape becomes a closed model (virtual users, `vuScenario`) or an open model
// (iterations per second, `rateScenario`), so every script offers the same five shapes.
import { envNumber, envString } from './config.js';

export const SHAPES = {
  smoke: {
    description: 'a few users for a short while: does it work at all',
    vus: 2,
    rate: 2,
    start: 1,
    stages: [{ duration: '15s', level: 1, hold: true }],
  },
  average: {
    description: 'typical traffic: ramp up, hold, ramp down',
    vus: 10,
    rate: 10,
    start: 0,
    stages: [
      { duration: '30s', level: 1 },
      { duration: '3m', level: 1, hold: true },
      { duration: '30s', level: 0 },
    ],
  },
  stress: {
    description: 'well above the average for minutes: where does it degrade',
    vus: 30,
    rate: 30,
    start: 0,
    stages: [
      { duration: '1m', level: 1 },
      { duration: '5m', level: 1, hold: true },
      { duration: '1m', level: 0 },
    ],
  },
  spike: {
    description: 'a sudden burst far above the average, then nothing: does it recover',
    vus: 60,
    rate: 60,
    start: 0,
    stages: [
      { duration: '10s', level: 1 },
      { duration: '20s', level: 1, hold: true },
      { duration: '10s', level: 0 },
    ],
  },
  soak: {
    description: 'the average for a long time: leaks and slow drift',
    vus: 10,
    rate: 10,
    start: 0,
    stages: [
      { duration: '1m', level: 1 },
      { duration: '30m', level: 1, hold: true },
      { duration: '1m', level: 0 },
    ],
  },
};

const SHAPE_NAMES = Object.keys(SHAPES);

/**
 * The shape named by LOAD_SHAPE (default smoke), with the overrides LOAD_VUS (peak virtual users),
 * LOAD_RATE (peak iterations per second) and LOAD_DURATION (length of the hold stage) applied.
 */
export function loadShape(name = envString('LOAD_SHAPE', 'smoke')) {
  const shape = SHAPES[name];
  if (!shape) throw new Error(`unknown LOAD_SHAPE "${name}": use one of ${SHAPE_NAMES.join(', ')}`);
  const hold = envString('LOAD_DURATION', undefined);
  if (hold !== undefined) parseDuration(hold, 'LOAD_DURATION');
  return {
    name,
    description: shape.description,
    vus: envNumber('LOAD_VUS', shape.vus, { min: 1, max: 10000 }),
    rate: envNumber('LOAD_RATE', shape.rate, { min: 1, max: 100000 }),
    start: shape.start,
    stages: shape.stages.map((stage) => ({ ...stage, duration: stage.hold && hold !== undefined ? hold : stage.duration })),
  };
}

/** Seconds in a k6 duration such as `15s`, `3m`, `1h30m`, `500ms`. */
export function parseDuration(text, what = 'duration') {
  const units = { ms: 0.001, s: 1, m: 60, h: 3600 };
  const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(text) ? text.match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g) : null;
  if (!parts) throw new Error(`${what} "${text}" is not a duration like 15s, 3m or 1h30m`);
  return parts.reduce((sum, part) => {
    const [, value, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(part);
    return sum + Number(value) * units[unit];
  }, 0);
}

/** How long the shape's stages last, in seconds. */
export function shapeSeconds(shape) {
  return shape.stages.reduce((sum, stage) => sum + parseDuration(stage.duration), 0);
}

/** Closed model: the number of virtual users follows the shape. */
export function vuScenario(shape, extra = {}) {
  const peak = shape.vus;
  return {
    executor: 'ramping-vus',
    startVUs: Math.round(shape.start * peak),
    stages: shape.stages.map((stage) => ({ duration: stage.duration, target: Math.round(stage.level * peak) })),
    gracefulRampDown: '10s',
    gracefulStop: '30s',
    ...extra,
  };
}

/**
 * Open model: iterations start at the shape's rate whatever the response times, so a slow target gets
 * the same offered load as a fast one (what the QoS lab compares). LOAD_MAX_VUS caps the virtual users
 * k6 may add when responses slow down.
 */
export function rateScenario(shape, extra = {}) {
  const peak = shape.rate;
  const maxVUs = envNumber('LOAD_MAX_VUS', Math.max(10, Math.ceil(peak * 10)), { min: 1, max: 10000 });
  return {
    executor: 'ramping-arrival-rate',
    startRate: Math.round(shape.start * peak),
    timeUnit: '1s',
    stages: shape.stages.map((stage) => ({ duration: stage.duration, target: Math.round(stage.level * peak) })),
    preAllocatedVUs: Math.min(maxVUs, Math.max(2, Math.ceil(peak))),
    maxVUs,
    gracefulStop: '30s',
    ...extra,
  };
}
