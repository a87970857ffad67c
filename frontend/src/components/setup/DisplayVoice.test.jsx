import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../lib/api.js'
import { withVoice } from '../screens/announcer.js'
import DisplayVoice from './DisplayVoice.jsx'

function Harness({ api, makeAudio }) {
  const [on, setOn] = useState(true)
  return (
    <>
      <DisplayVoice api={api} on={on} onChange={setOn} makeAudio={makeAudio} />
      <p data-testid="link">{withVoice('/display/q-1', on)}</p>
    </>
  )
}

describe('DisplayVoice', () => {
  it('builds the display link with or without voice', async () => {
    render(<Harness api={{}} />)
    const box = screen.getByRole('checkbox', { name: 'Speak the calls on this TV' })
    expect(box).toBeChecked()
    expect(screen.getByTestId('link')).toHaveTextContent(/^\/display\/q-1$/)
    await userEvent.click(box)
    expect(screen.getByTestId('link')).toHaveTextContent('/display/q-1?voice=off')
    expect(withVoice('/display?services=all', false)).toBe('/display?services=all&voice=off')
  })

  it('plays the sample the box makes, and says so when it cannot', async () => {
    globalThis.URL.createObjectURL = vi.fn(() => 'blob:sample')
    globalThis.URL.revokeObjectURL = vi.fn()
    const listeners = {}
    const audio = { play: vi.fn(() => Promise.resolve()), addEventListener: (name, fn) => (listeners[name] = fn) }
    const makeAudio = vi.fn(() => audio)
    const api = { voiceSample: vi.fn(() => Promise.resolve(new Blob(['RIFF']))) }
    render(<Harness api={api} makeAudio={makeAudio} />)
    await userEvent.click(screen.getByRole('button', { name: 'Test the voice' }))
    expect(makeAudio).toHaveBeenCalledWith('blob:sample')
    expect(audio.play).toHaveBeenCalled()
    expect(screen.getByRole('status')).toHaveTextContent('Playing the sample on this device…')
    api.voiceSample.mockRejectedValueOnce(new ApiError(404, 'voice_off', 'Voice is turned off on this box (QODE_VOICE=off).'))
    await userEvent.click(screen.getByRole('button', { name: 'Test the voice' }))
    expect(screen.getByRole('status')).toHaveTextContent('The voice could not be played: Voice is turned off on this box (QODE_VOICE=off).')
  })
})
