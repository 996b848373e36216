// `npm run gen:metrics-table`: writes the metrics table into the README (metrics-table.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { metricsTable, withMetricsTable } from './metrics-table.js';

const readme = resolve(import.meta.dirname, '../../README.md');
writeFileSync(readme, withMetricsTable(readFileSync(readme, 'utf8'), metricsTable()));
