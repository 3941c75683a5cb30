import { BodyBudget } from './body-budget';

describe('BodyBudget', () => {
  it('grants reservations up to its limit and refuses the one that would pass it', () => {
    const budget = new BodyBudget(100);
    expect(budget.tryReserve(60)).toBe(true);
    expect(budget.tryReserve(40)).toBe(true);
    expect(budget.tryReserve(1)).toBe(false);
    expect(budget.inUse).toBe(100);
  });

  it('takes nothing for a refused reservation and gives room back on release', () => {
    const budget = new BodyBudget(100);
    budget.tryReserve(70);
    expect(budget.tryReserve(50)).toBe(false);
    expect(budget.inUse).toBe(70);
    budget.release(70);
    expect(budget.tryReserve(50)).toBe(true);
    expect(budget.inUse).toBe(50);
  });

  it('never goes below zero', () => {
    const budget = new BodyBudget(10);
    budget.release(5);
    expect(budget.inUse).toBe(0);
    expect(budget.tryReserve(10)).toBe(true);
  });
});
