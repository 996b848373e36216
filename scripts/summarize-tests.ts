// Adds up the JSON reports of every test stage into one closing line, so a reader (and CI) sees
// one total for jest and `go test` together. A skipped test is a defect under CI: it counts as failed.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { goFailureOutput, tallyGo, tallyJest, tallyPlain, type Tally } from './test-tally.js';

const dir = process.argv[2] ?? '.test-results';
const total: Tally = { passed: 0, failed: 0, skipped: 0 };
for (const name of readdirSync(dir).sort()) {
  const text = readFileSync(join(dir, name), 'utf8');
  const isGo = name.endsWith('.jsonl');
  const t = isGo ? tallyGo(text) : name.endsWith('.txt') ? tallyPlain(text) : tallyJest(text);
  if (isGo && t.failed > 0) console.log(goFailureOutput(text));
  console.log(`  ${name}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
  total.passed += t.passed;
  total.failed += t.failed;
  total.skipped += t.skipped;
}
const ci = process.env.CI === 'true';
const failed = total.failed + (ci ? total.skipped : 0);
console.log(`tests: ${total.passed} passed, ${failed} failed${ci ? '' : `, ${total.skipped} skipped`}`);
process.exit(failed === 0 && total.passed > 0 ? 0 : 1);
