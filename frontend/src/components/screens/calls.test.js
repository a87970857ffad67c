import { describe, expect, it } from 'vitest'
import { sharedWidths } from './calls.js'

describe('sharedWidths', () => {
  it('sizes usual labels evenly by the widest of them', () => {
    expect(sharedWidths([4.8, 5.2, 5.5, 4.9])).toEqual([5.5, 5.5, 5.5, 5.5])
  })

  it('sizes a much wider label in its own tile only, leaving the others as large as before', () => {
    // "Counter 1"…"Counter 12" and one "Counter Window B"
    expect(sharedWidths([4.8, 4.8, 4.8, 4.8, 4.8, 4.8, 5.5, 9.6])).toEqual([5.5, 5.5, 5.5, 5.5, 5.5, 5.5, 5.5, 9.6])
  })

  it('never sizes a label below its own width, and handles one tile or none', () => {
    expect(sharedWidths([7])).toEqual([7])
    expect(sharedWidths([])).toEqual([])
    const widths = [3, 12, 4, 30, 5]
    sharedWidths(widths).forEach((w, i) => expect(w).toBeGreaterThanOrEqual(widths[i]))
  })
})
