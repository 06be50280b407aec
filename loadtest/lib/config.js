// Reading the run's environment (k6 `__ENV`). Defaults match the native stack in docs/architecture.md.

export const QOS_CLASSES = ['guaranteed', 'burstable', 'besteffort'];

const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';
const DEFAULT_WORKER_URLS = 'guaranteed=http://127.0.0.1:8091,burstable=http://127.0.0.1:8092,besteffort=http://127.0.0.1:8093';

export function envString(name, fallback) {
  const value = __ENV[name];
  return value === undefined || value === '' ? fallback : value;
}

export function envNumber(name, fallback, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  const raw = envString(name, undefined);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name}="${raw}" is not a number between ${min} and ${max}`);
  }
  return value;
}

export function envBoolean(name, fallback) {
  const raw = envString(name, undefined);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name}="${raw}" is not true or false`);
}

function httpUrl(name, raw) {
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(raw)) throw new Error(`${name}="${raw}" is not an http(s) URL`);
  return raw.replace(/\/+$/, '');
}

/** The shop's public entry point (the gateway). */
export function baseUrl() {
  return httpUrl('BASE_URL', envString('BASE_URL', DEFAULT_BASE_URL));
}

/** `guaranteed=http://...,burstable=http://...,besteffort=http://...` as `{ guaranteed: url, ... }`. */
export function workerUrls(raw = envString('WORKER_URLS', DEFAULT_WORKER_URLS)) {
  const urls = {};
  for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
    const separator = entry.indexOf('=');
    const qosClass = separator > 0 ? entry.slice(0, separator).trim() : '';
    if (!QOS_CLASSES.includes(qosClass)) {
      throw new Error(`WORKER_URLS entry "${entry}" must be <class>=<url> with class ${QOS_CLASSES.join(', ')}`);
    }
    if (urls[qosClass]) throw new Error(`WORKER_URLS names ${qosClass} twice`);
    urls[qosClass] = httpUrl(`WORKER_URLS ${qosClass}`, entry.slice(separator + 1).trim());
  }
  const missing = QOS_CLASSES.filter((qosClass) => !urls[qosClass]);
  if (missing.length > 0) throw new Error(`WORKER_URLS lacks ${missing.join(', ')} (needs all of ${QOS_CLASSES.join(', ')})`);
  return urls;
}
