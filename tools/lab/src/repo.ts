import { join } from 'node:path';

/** The repository the lab runs from (tools/lab/src or tools/lab/dist, two levels down). */
export const repoRoot = join(__dirname, '..', '..', '..');
