import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, it, vi } from 'vitest'
import { queue } from '../../test/fixtures.js'
import { parseNearlyUp } from '../../lib/nearlyUp.js'
import { ApiError } from '../../lib/api.js'
import NearlyUp from './NearlyUp.jsx'

describe('setup: nearly up at N ahead', () => {
  it('reads only whole numbers from 0 to 20', () => {
    expect(['0', '3', ' 20 ', '7'].map(parseNearlyUp)).toEqual([0, 3, 20, 7])
    expect(['21', '-1', '2.5', '', 'three', '1e1', '100'].map(parseNearlyUp)).toEqual(Array(7).fill(null))
  })

  it('saves the number with PATCH and says so; the saved service goes back to the list', async () => {
    const api = { updateQueue: vi.fn(async (id, body) => ({ ...queue(), id, ...body })) }
    const onSaved = vi.fn()
    render(<NearlyUp queue={queue({ nearly_up: 3 })} api={api} onSaved={onSaved} onRejected={() => false} />)
    const field = screen.getByLabelText('Phones say “nearly up” at this many ahead')
    expect(field).toHaveValue(3)
    await userEvent.clear(field)
    await userEvent.type(field, '5')
    await userEvent.click(screen.getByRole('button', { name: 'Save' }))
    expect(api.updateQueue).toHaveBeenCalledWith('q-1', { nearly_up: 5 })
    expect(onSaved).toHaveBeenCalledWith(expect.objectContaining({ nearly_up: 5 }))
    expect(screen.getByRole('status')).toHaveTextContent('Saved.')
  })

  it('refuses a number out of range before asking the box, and shows the box’s own refusal', async () => {
    const api = { updateQueue: vi.fn(async () => { throw new ApiError(422, 'invalid_body', 'nearly_up: at most 20') }) }
    render(<NearlyUp queue={queue({ nearly_up: 3 })} api={api} onRejected={() => false} />)
    const field = screen.getByLabelText('Phones say “nearly up” at this many ahead')
    await userEvent.clear(field)
    await userEvent.type(field, '25')
    await userEvent.click(screen.getByRole('button', { name: 'Save' }))
    expect(api.updateQueue).not.toHaveBeenCalled()
    expect(screen.getByRole('status')).toHaveTextContent('Enter a whole number from 0 to 20.')
    expect(field).toHaveAttribute('aria-invalid', 'true')
    await userEvent.clear(field)
    await userEvent.type(field, '4')
    await userEvent.click(screen.getByRole('button', { name: 'Save' }))
    expect(api.updateQueue).toHaveBeenCalledTimes(1)
    expect(screen.getByRole('status')).toHaveTextContent('nearly_up: at most 20')
  })
})
