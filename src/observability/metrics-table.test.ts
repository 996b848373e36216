import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { metricsTable, TABLE_END, TABLE_START, withMetricsTable } from './metrics-table.js';

describe('the README metrics table', () => {
  it('is the one generated from the registry (run `npm run gen:metrics-table` after changing a metric)', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toBe(withMetricsTable(readme, metricsTable()));
  });

  it('lists each family with its type and labels, and the process metrics by name', () => {
    const table = metricsTable();
    expect(table).toContain('| `coderun_run_duration_seconds` | histogram | runtime, path |');
    expect(table).toContain('| `rest_client_requests_total` | counter | code, method |');
    expect(table).toContain('| `coderun_build_info` | gauge | version, nodejs_version |');
    expect(table).toMatch(/Process metrics .*`process_cpu_seconds_total`/);
  });

  it('refuses a README without the markers', () => {
    expect(() => withMetricsTable('# no table here', 'x')).toThrow(TABLE_START);
    expect(withMetricsTable(`a\n${TABLE_START}\nold\n${TABLE_END}\nb`, 'new')).toBe(`a\n${TABLE_START}\nnew\n${TABLE_END}\nb`);
  });
});
