import { goFailureOutput, tallyGo, tallyJest, tallyPlain } from './test-tally.js';

describe('tallyJest', () => {
  test.each([
    [{ numPassedTests: 3, numFailedTests: 1, numPendingTests: 2, numTodoTests: 1 }, { passed: 3, failed: 1, skipped: 3 }],
    [{ numPassedTests: 0, numFailedTests: 0, numPendingTests: 0 }, { passed: 0, failed: 0, skipped: 0 }],
  ])('%j', (report, expected) => {
    expect(tallyJest(JSON.stringify(report))).toEqual(expected);
  });

  test('rejects a report that is not jest JSON', () => {
    expect(() => tallyJest('{"tests": 3}')).toThrow();
  });
});

describe('tallyGo', () => {
  const ev = (o: object) => JSON.stringify(o);
  test('counts final test actions and a package that failed to build', () => {
    const text = [
      'go: downloading something',
      ev({ Action: 'run', Package: 'p', Test: 'TestA' }),
      ev({ Action: 'pass', Package: 'p', Test: 'TestA' }),
      ev({ Action: 'fail', Package: 'p', Test: 'TestB' }),
      ev({ Action: 'skip', Package: 'p', Test: 'TestC' }),
      ev({ Action: 'pass', Package: 'p' }),
      ev({ Action: 'fail', Package: 'q' }),
    ].join('\n');
    expect(tallyGo(text)).toEqual({ passed: 1, failed: 2, skipped: 1 });
  });

  test('shows the output of failed tests only', () => {
    const text = [
      ev({ Action: 'output', Package: 'p', Test: 'TestA', Output: 'fine\n' }),
      ev({ Action: 'pass', Package: 'p', Test: 'TestA' }),
      ev({ Action: 'output', Package: 'p', Test: 'TestB', Output: 'want 3, got 4\n' }),
      ev({ Action: 'fail', Package: 'p', Test: 'TestB' }),
    ].join('\n');
    expect(goFailureOutput(text)).toBe('want 3, got 4\n');
  });
});

describe('tallyPlain', () => {
  test.each([
    ['[cluster] PASS x\n3 passed, 0 failed\n', { passed: 3, failed: 0, skipped: 0 }],
    ['2 passed, 1 failed, 4 skipped', { passed: 2, failed: 1, skipped: 4 }],
    ['the script died before its summary', { passed: 0, failed: 1, skipped: 0 }],
  ])('%j', (text, expected) => {
    expect(tallyPlain(text)).toEqual(expected);
  });
});
