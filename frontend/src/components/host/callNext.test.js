import { afterEach, describe, expect, it } from 'vitest'
import { setLanguage } from '../../lib/strings.js'
import { callLabel, endedSentences, heldAt } from './callNext.js'

const tk = (number, status, counter) => ({ id: `t-${number}`, position_number: number, display_number: `A${number}`, status, counter })

afterEach(() => setLanguage('en'))

describe('one active ticket per counter: the call button and the notice', () => {
  const day = [tk(1, 'COMPLETED', '1'), tk(2, 'NO_SHOW', '1'), tk(3, 'SERVING', '2'), tk(5, 'CALLED', '1'), tk(4, 'CALLED', null), tk(6, 'WAITING', null)]

  it('finds what a counter holds; a ticket called with no counter is at counter 1', () => {
    expect(heldAt(day, '1').map((x) => x.display_number)).toEqual(['A4', 'A5'])
    expect(heldAt(day, '2').map((x) => x.display_number)).toEqual(['A3'])
    expect(heldAt(day, 'Desk B')).toEqual([])
    expect(heldAt(day, null)).toEqual([])
  })

  it('says what a press does to the counter’s ticket before it calls', () => {
    expect(callLabel([], 3)).toBe('Call next')
    expect(callLabel([tk(3, 'CALLED', '1')], 3)).toBe('No-show A3 & call next')
    expect(callLabel([tk(3, 'SERVING', '1')], 3)).toBe('Complete A3 & call next')
    expect(callLabel([tk(3, 'CALLED', '1'), tk(4, 'SERVING', '1')], 3)).toBe('End A3, A4 & call next')
    // Nobody waiting: the box calls nobody and ends nothing.
    expect(callLabel([tk(3, 'SERVING', '1')], 0)).toBe('Call next')
  })

  it('says what the call ended, from the answer', () => {
    expect(endedSentences([])).toEqual([])
    expect(endedSentences(undefined)).toEqual([])
    expect(endedSentences([{ display_number: 'A3', status: 'NO_SHOW' }, { display_number: 'A4', status: 'COMPLETED' }])).toEqual([
      'A3 was marked as a no-show.',
      'A4 is done.',
    ])
  })

  it('speaks German', () => {
    setLanguage('de')
    expect(callLabel([tk(3, 'CALLED', '1')], 2)).toBe('A3: nicht erschienen, Nächsten aufrufen')
    expect(callLabel([tk(3, 'SERVING', '1')], 2)).toBe('A3 abschließen und Nächsten aufrufen')
    expect(callLabel([tk(3, 'CALLED', '1'), tk(4, 'CALLED', '1')], 2)).toBe('A3, A4 beenden und Nächsten aufrufen')
    expect(endedSentences([{ display_number: 'A3', status: 'NO_SHOW' }])).toEqual(['A3 wurde als nicht erschienen markiert.'])
  })
})
