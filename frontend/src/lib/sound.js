// A short beep through WebAudio. Browsers only let a page make sound after a user
// gesture, so the audio context is created (and "unlocked") on the first tap anywhere.
let context = null

function AudioContextClass() {
  return globalThis.AudioContext ?? globalThis.webkitAudioContext ?? null
}

export function unlockSound() {
  const Ctx = AudioContextClass()
  if (!Ctx) return false
  try {
    context ??= new Ctx()
    if (context.state === 'suspended') context.resume()
    // iOS unlocks only once something has played inside the gesture: play silence.
    const gain = context.createGain()
    gain.gain.value = 0
    const osc = context.createOscillator()
    osc.connect(gain).connect(context.destination)
    osc.start()
    osc.stop(context.currentTime + 0.01)
    return true
  } catch {
    return false
  }
}

/** Unlock on the first pointer or key press; returns a function that stops listening. */
export function installSoundUnlock(target = globalThis) {
  const events = ['pointerdown', 'touchend', 'keydown']
  const handler = () => {
    if (unlockSound()) remove()
  }
  const remove = () => events.forEach((name) => target.removeEventListener?.(name, handler, true))
  events.forEach((name) => target.addEventListener?.(name, handler, true))
  return remove
}

/**
 * Play `notes` ([frequency Hz, start offset s, peak gain, length s], …) on `ctx` now.
 * Shared by the guest's beep and the display's chime. False when the browser refused.
 */
export function playTones(ctx, notes, lead = 0) {
  try {
    const start = ctx.currentTime + lead
    for (const [frequency, offset, peak, length] of notes) {
      const osc = ctx.createOscillator()
      const gain = ctx.createGain()
      osc.type = 'sine'
      osc.frequency.value = frequency
      gain.gain.setValueAtTime(0.0001, start + offset)
      gain.gain.exponentialRampToValueAtTime(peak, start + offset + 0.02)
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + length - 0.05)
      osc.connect(gain).connect(ctx.destination)
      osc.start(start + offset)
      osc.stop(start + offset + length)
    }
    return true
  } catch {
    return false
  }
}

/** Two short tones; does nothing (false) until the sound is unlocked. */
export function beep() {
  if (!context || context.state !== 'running') return false
  return playTones(context, [
    [880, 0, 0.5, 0.3],
    [880, 0.35, 0.5, 0.3],
  ])
}

/** Buzz the phone where the browser allows it. */
export function vibrate(pattern = [300, 150, 300, 150, 300]) {
  try {
    return globalThis.navigator?.vibrate?.(pattern) ?? false
  } catch {
    return false
  }
}
