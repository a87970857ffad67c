// The display's chime: a short two-tone "ding-dong" through WebAudio, made on the box
// (no sound file to fetch). A TV in Chromium's kiosk mode usually may play sound without
// a tap (--autoplay-policy=no-user-gesture-required); where it may not, the chime stays
// silent until someone touches the screen or presses a key, and nothing breaks.
import { playTones } from '../../lib/sound.js'

let context = null

function audioContext() {
  const Ctx = globalThis.AudioContext ?? globalThis.webkitAudioContext
  if (!Ctx) return null
  try {
    context ??= new Ctx()
  } catch {
    return null
  }
  return context
}

function resume(ctx) {
  try {
    const pending = ctx.state === 'suspended' ? ctx.resume() : null
    pending?.catch?.(() => {})
  } catch {
    // not allowed yet: the next gesture tries again
  }
}

/**
 * Create the audio context early (so it is running by the first call) and resume it on the
 * first pointer or key press. Returns a function that stops listening.
 */
export function prepareChime(target = globalThis) {
  const ctx = audioContext()
  if (ctx) resume(ctx)
  const events = ['pointerdown', 'keydown', 'touchend']
  const handler = () => {
    const c = audioContext()
    if (!c) return
    resume(c)
    if (c.state === 'running') remove()
  }
  const remove = () => events.forEach((name) => target.removeEventListener?.(name, handler, true))
  events.forEach((name) => target.addEventListener?.(name, handler, true))
  return remove
}

/** Play the chime now; false (and silence) when the browser does not allow sound yet. */
export function playChime() {
  const ctx = audioContext()
  if (!ctx) return false
  // A suspended context would queue the tones and play them all at the first tap: skip instead.
  if (ctx.state !== 'running') {
    resume(ctx)
    return false
  }
  return playTones(
    ctx,
    [
      [659.25, 0, 0.6, 0.95], // E5
      [523.25, 0.42, 0.6, 0.95], // C5
    ],
    0.02,
  )
}
