import { ByteBudget } from './byte-budget.js';

const settled = async <T>(p: Promise<T>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('ByteBudget', () => {
  test('grants while the bytes fit, and the next waiter once enough is released', async () => {
    const budget = new ByteBudget(100);
    const a = await budget.acquire(60);
    const b = await budget.acquire(40);
    const c = budget.acquire(30);
    expect(await settled(c)).toBe(false);
    a();
    expect(await settled(c)).toBe(true);
    expect(budget.inUse).toBe(70);
    b();
    (await c)();
    expect(budget.inUse).toBe(0);
  });

  test('first come first served: a small request waits behind a large one that does not fit yet', async () => {
    const budget = new ByteBudget(100);
    const held = await budget.acquire(50);
    const large = budget.acquire(80);
    const small = budget.acquire(10);
    expect([await settled(large), await settled(small)]).toEqual([false, false]);
    held();
    expect([await settled(large), await settled(small)]).toEqual([true, true]);
  });

  test('a request above the capacity runs alone; a release counts once', async () => {
    const budget = new ByteBudget(100);
    const small = await budget.acquire(10);
    const huge = budget.acquire(1000);
    expect(await settled(huge)).toBe(false);
    small();
    small();
    const release = await huge;
    expect(budget.inUse).toBe(100);
    release();
    expect(budget.inUse).toBe(0);
  });
});
