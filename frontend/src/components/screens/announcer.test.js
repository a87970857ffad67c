import { describe, expect, it, vi } from 'vitest'
import { createAnnouncer, voiceOn, voiceUrl } from './announcer.js'

// A fake <audio>: records its address, plays when told, ends when the test says so.
function fakeAudios() {
  const made = []
  const makeAudio = (url) => {
    const listeners = {}
    const audio = {
      url,
      playing: false,
      addEventListener: (name, fn) => (listeners[name] = fn),
      play: vi.fn(() => {
        audio.playing = true
        return Promise.resolve()
      }),
      end: () => {
        audio.playing = false
        listeners.ended?.()
      },
      fail: () => listeners.error?.(),
    }
    made.push(audio)
    return audio
  }
  return { made, makeAudio }
}

// Timers the test runs by hand.
function manualTimers() {
  const pending = []
  return {
    timer: (fn, ms) => pending.push({ fn, ms }),
    runChime: () => {
      const i = pending.findIndex((t) => t.ms === 1100)
      if (i >= 0) pending.splice(i, 1)[0].fn()
    },
  }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('announcer', () => {
  it('says each call after the chime, one at a time: the second waits until the first has ended', async () => {
    const { made, makeAudio } = fakeAudios()
    const { timer, runChime } = manualTimers()
    const chime = vi.fn(() => true)
    const root = { dataset: {} }
    const a = createAnnouncer({ chime, makeAudio, timer, root })
    a.announce('/v/1')
    a.announce('/v/2')
    expect(chime).toHaveBeenCalledTimes(1) // the first call's chime at once
    expect(made).toHaveLength(0) // its voice after the chime
    runChime()
    await flush()
    expect(made.map((x) => x.url)).toEqual(['/v/1'])
    expect(root.dataset.voice).toBe('playing')
    await flush()
    expect(chime).toHaveBeenCalledTimes(1) // the second waits: never two at once
    expect(made).toHaveLength(1)
    made[0].end()
    await flush()
    expect(chime).toHaveBeenCalledTimes(2)
    runChime()
    await flush()
    expect(made.map((x) => x.url)).toEqual(['/v/1', '/v/2'])
    expect(made[0].playing).toBe(false)
    made[1].end()
    await flush()
    expect(root.dataset).toEqual({ voice: 'idle', voicePlayed: '2' })
    expect(a.pending()).toBe(0)
  })

  it('goes on after audio that fails or is refused, and plays nothing without sound', async () => {
    const { made, makeAudio } = fakeAudios()
    const { timer, runChime } = manualTimers()
    const chime = vi.fn(() => false) // the browser allows no sound yet: no wait for a chime
    const root = { dataset: {} }
    const a = createAnnouncer({ chime, makeAudio, timer, root })
    a.announce('/v/1')
    a.announce(null) // a call without a seq: its chime alone
    a.announce('/v/3')
    await flush()
    made[0].fail()
    await flush()
    await flush()
    expect(chime).toHaveBeenCalledTimes(3)
    expect(made.map((x) => x.url)).toEqual(['/v/1', '/v/3'])
    made[1].end()
    await flush()
    expect(root.dataset).toEqual({ voice: 'idle', voicePlayed: '1' })
    runChime()
  })

  it('stops: nothing more is said', async () => {
    const { made, makeAudio } = fakeAudios()
    const { timer, runChime } = manualTimers()
    const a = createAnnouncer({ chime: () => true, makeAudio, timer, root: null })
    a.announce('/v/1')
    a.stop()
    a.announce('/v/2')
    runChime()
    await flush()
    expect(made).toHaveLength(0)
  })

  it('reads the display link: voice on unless voice=off', () => {
    expect(voiceOn('')).toBe(true)
    expect(voiceOn(undefined)).toBe(true)
    expect(voiceOn('?services=all&voice=on')).toBe(true)
    expect(voiceOn('?voice=off')).toBe(false)
    expect(voiceOn('?services=a,b&voice=off')).toBe(false)
    expect(voiceUrl('q 1', 42)).toBe('/api/queues/q%201/calls/42/voice')
  })
})
