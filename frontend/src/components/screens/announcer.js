// Spoken calls on the TV (issue 16, docs/voice.md): each call is the chime, then the box's voice
// for it (GET /api/queues/{id}/calls/{seq}/voice), and announcements never overlap: a call that
// comes while another is being said waits its turn. A call whose audio cannot be had (voice off on
// the box, an error, sound not allowed) is its chime alone; the number is on the screen anyway.
//
// The page's <html> carries data-voice="idle|playing" and data-voice-played="<count>", so a test
// (and anyone with the inspector open on a TV) can tell what the TV is saying.

const CHIME_MS = 1100 // the chime's two tones (chime.js) are over by then
const LONGEST_MS = 30000 // a clip that never ends (a stuck decoder) frees the queue after this

/** Voice on unless the display link says `voice=off` (per display: setup builds the link). */
export function voiceOn(search) {
  try {
    return new URLSearchParams(search ?? '').get('voice') !== 'off'
  } catch {
    return true
  }
}

/** A display link with the voice choice (setup): `path` unchanged when on, `voice=off` added when off. */
export function withVoice(path, on) {
  if (on) return path
  return `${path}${path.includes('?') ? '&' : '?'}voice=off`
}

/** The address of a call's announcement. */
export function voiceUrl(queueId, seq) {
  return `/api/queues/${encodeURIComponent(queueId)}/calls/${encodeURIComponent(seq)}/voice`
}

const wait = (ms, timer) => new Promise((resolve) => timer(resolve, ms))

function mark(root, state, played) {
  if (!root?.dataset) return
  root.dataset.voice = state
  if (played !== undefined) root.dataset.voicePlayed = String(played)
}

/**
 * A queue of announcements. `announce(url)` plays the chime now when nothing is being said (else
 * when the ones before it have ended), waits for the chime, then plays `url` to its end.
 * `url` null: the chime alone. `url` may be a function returning (a promise of) the URL, e.g. a
 * blob: URL of audio fetched with a token; that URL is revoked once played. Returns {announce, pending, stop}.
 */
export function createAnnouncer({
  chime,
  makeAudio = (url) => new Audio(url),
  timer = (fn, ms) => setTimeout(fn, ms),
  chimeMs = CHIME_MS,
  longestMs = LONGEST_MS,
  root = globalThis.document?.documentElement,
} = {}) {
  const queue = []
  let busy = false
  let stopped = false
  let played = 0
  mark(root, 'idle', 0)

  function playUrl(url) {
    return new Promise((resolve) => {
      let audio
      try {
        audio = makeAudio(url)
      } catch {
        resolve(false)
        return
      }
      let settled = false
      const done = (ok) => {
        if (settled) return
        settled = true
        resolve(ok)
      }
      audio.addEventListener?.('ended', () => done(true))
      audio.addEventListener?.('error', () => done(false))
      timer(() => done(false), longestMs)
      try {
        const started = audio.play()
        started?.catch?.(() => done(false)) // not allowed, not found (404 voice_off): skip
      } catch {
        done(false)
      }
    })
  }

  async function say(source) {
    let chimed
    try {
      chimed = chime?.() !== false
    } catch {
      chimed = false
    }
    if (!source || stopped) return
    // A function (the host's voice test): fetched while the chime plays, a blob: URL freed after.
    const pending = typeof source === 'function' ? Promise.resolve().then(source).catch(() => null) : source
    if (chimed) await wait(chimeMs, timer)
    const url = await pending
    const owned = typeof source === 'function' && String(url).startsWith('blob:')
    try {
      if (!url || stopped) return
      mark(root, 'playing')
      if (await playUrl(url)) played += 1
    } finally {
      if (owned) globalThis.URL?.revokeObjectURL?.(url)
    }
  }

  function next() {
    if (stopped || !queue.length) {
      busy = false
      mark(root, 'idle', played)
      return
    }
    busy = true
    const url = queue.shift()
    say(url).then(next, next)
  }

  return {
    announce(url) {
      if (stopped) return
      queue.push(url ?? null)
      if (!busy) next()
    },
    pending: () => queue.length + (busy ? 1 : 0),
    stop() {
      stopped = true
      queue.length = 0
    },
  }
}
