import { describe, expect, it } from 'vitest'
import { byCounterName, compareNames } from './counterOrder.js'

describe('counter order', () => {
  it('counts numbers as numbers, and ignores case', () => {
    const names = ['12', 'Desk 3b', '2', 'desk 4', 'Desk A', '1', 'Desk 3', 'Desk 10']
    expect(byCounterName(names.map((name) => ({ name }))).map((c) => c.name)).toEqual(
      ['1', '2', '12', 'Desk 3', 'Desk 3b', 'desk 4', 'Desk 10', 'Desk A'])
  })

  it('compares labels and missing names without throwing', () => {
    expect(compareNames('Counter 2 · Ana', 'Counter 12 · Ben')).toBeLessThan(0)
    expect(compareNames(null, 'A')).toBeLessThan(0)
  })
})
