import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { setLanguage } from '../../lib/strings.js'
import LateMark from './LateMark.jsx'
import { lineKey, serviceLine } from './desk.js'

describe('issue 16: a guest who moved back ("I\'m running late") on the host', () => {
  it('marks the row "late ×N" in words, with the full sentence for screen readers', () => {
    setLanguage('en')
    render(<LateMark count={2} />)
    const mark = screen.getByTestId('late-mark')
    expect(mark).toHaveTextContent('late ×2')
    expect(mark).toHaveAttribute('title', 'Running late: moved back 2 times')
    expect(mark.querySelector('.sr-only')).toHaveTextContent('Running late: moved back 2 times')
  })

  it('draws nothing for a ticket that never moved back', () => {
    const { container } = render(<LateMark count={0} />)
    expect(container).toBeEmptyDOMElement()
  })

  it('orders rows the box has not ordered yet by place in line: line_seq, then rank', () => {
    const rows = [
      { id: 'a', status: 'WAITING', position_number: 1, line_seq: 40, line_rank: 1, late_uses: 1 },
      { id: 'b', status: 'WAITING', position_number: 2, line_seq: 20, line_rank: 0 },
      { id: 'd', status: 'WAITING', position_number: 4, line_seq: 40, line_rank: 0 },
      { id: 'e', status: 'WAITING', position_number: 5, line_seq: 50 },
    ]
    expect(serviceLine(rows, 'q', null).map((t) => t.id)).toEqual(['b', 'd', 'a', 'e'])
    expect(lineKey(rows[0])).toBeGreaterThan(lineKey(rows[2]))
    expect(lineKey(rows[0])).toBeLessThan(lineKey(rows[3]))
  })
})
