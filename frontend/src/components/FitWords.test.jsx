import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import FitWords from './FitWords.jsx'
import { fitWidthEm, longestWordEm, textWidthEm } from './screens/calls.js'

describe('FitWords', () => {
  it('sizes a name by its longest word, not by the whole name', () => {
    const measure = (text) => text.length * 0.5 // every letter half an em
    expect(longestWordEm('Registration and certificates', 700, measure)).toBeCloseTo(fitWidthEm('Registration', 700, measure))
    expect(longestWordEm('Staatsangehörigkeitsangelegenheiten', 700, measure)).toBeCloseTo(35 * 0.5 * 1.08)
    expect(longestWordEm('', 700, measure)).toBe(1)
  })

  it('renders the text with the fitting class and its longest word in em', () => {
    render(<FitWords as="p" data-testid="name" text="Passports and Staatsangehörigkeitsangelegenheiten" className="[--fit-max:2rem]" />)
    const name = screen.getByTestId('name')
    expect(name.textContent).toBe('Passports and Staatsangehörigkeitsangelegenheiten')
    expect(name.className).toContain('fit-words')
    // Nothing measures in jsdom: the safe estimate of the longest word.
    expect(Number(name.style.getPropertyValue('--word-ems'))).toBeCloseTo(textWidthEm('Staatsangehörigkeitsangelegenheiten'), 2)
  })
})
