import { Writable } from 'node:stream';
import { codeRunLogger, createLogger } from './logger.js';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with an ISO time, the level and the app', () => {
    const out = capture();
    createLogger({ level: 'info', destination: out.stream }).info({ runs: 3 }, 'hello');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 30, app: 'coderun', runs: 3, msg: 'hello' });
    expect(String(line?.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('drops lines below the level', () => {
    const out = capture();
    const logger = createLogger({ level: 'warn', destination: out.stream });
    logger.info('quiet');
    logger.warn('loud');
    expect(out.lines().map((l) => l.msg)).toEqual(['loud']);
  });
});

describe('codeRunLogger', () => {
  it('puts coderun: namespace/name on every line about that run', () => {
    const out = capture();
    const log = codeRunLogger(createLogger({ level: 'info', destination: out.stream }), { namespace: 'judge', name: 'run-7' });
    log.info('pod created');
    log.error({ err: new Error('image missing') }, 'run failed');
    const lines = out.lines();
    expect(lines.map((l) => l.coderun)).toEqual(['judge/run-7', 'judge/run-7']);
    expect(lines[1]?.err).toMatchObject({ message: 'image missing', type: 'Error' });
  });
});
