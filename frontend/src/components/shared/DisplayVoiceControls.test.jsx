import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import DisplayVoiceControls from './DisplayVoiceControls.jsx'

const tv = (voice = true) => ({ id: 'd-1', kind: 'display', name: 'Hall TV', voice })

describe('DisplayVoiceControls (issue 16)', () => {
  it('switches at once, says what the TV does now, and takes the box’s word when it comes', async () => {
    let answer
    const onSwitch = vi.fn(() => new Promise((resolve) => (answer = resolve)))
    const { rerender } = render(<DisplayVoiceControls device={tv(true)} onSwitch={onSwitch} onTest={vi.fn()} />)
    const box = screen.getByRole('checkbox', { name: 'Speak the calls on Hall TV' })
    expect(box).toBeChecked()
    await userEvent.click(box)
    expect(onSwitch).toHaveBeenCalledWith(false)
    expect(box).not.toBeChecked() // shown as asked while the box answers
    expect(box).toBeDisabled()
    answer({ ok: true })
    expect(await screen.findByText('Hall TV now only chimes.')).toBeInTheDocument()
    rerender(<DisplayVoiceControls device={tv(false)} onSwitch={onSwitch} onTest={vi.fn()} />)
    expect(box).not.toBeChecked()
    // someone else turned it on again: the box's word wins
    rerender(<DisplayVoiceControls device={tv(true)} onSwitch={onSwitch} onTest={vi.fn()} />)
    expect(box).toBeChecked()
  })

  it('goes back as it was when the box refuses, with the box’s reason', async () => {
    const onSwitch = vi.fn(async () => ({ ok: false, message: 'That token does not cover every service this touches.' }))
    render(<DisplayVoiceControls device={tv(true)} onSwitch={onSwitch} onTest={vi.fn()} />)
    const box = screen.getByRole('checkbox', { name: 'Speak the calls on Hall TV' })
    await userEvent.click(box)
    expect(await screen.findByText('That token does not cover every service this touches.')).toBeInTheDocument()
    expect(box).toBeChecked()
  })

  it('tests the voice on the TV and says so, or why not', async () => {
    const onTest = vi
      .fn()
      .mockResolvedValueOnce({ ok: true })
      .mockResolvedValueOnce({ ok: false, message: 'This display is not connected: open its link (with its token) on the TV, then test.' })
    render(<DisplayVoiceControls device={tv(false)} onSwitch={vi.fn()} onTest={onTest} />)
    const test = screen.getByRole('button', { name: 'Test the voice on Hall TV' })
    await userEvent.click(test)
    expect(await screen.findByText('Hall TV is saying the sample call “A042, counter 2”.')).toBeInTheDocument()
    await userEvent.click(test)
    expect(await screen.findByText(/This display is not connected/)).toBeInTheDocument()
    expect(onTest).toHaveBeenCalledTimes(2)
  })
})
