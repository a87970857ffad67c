// Issue 16 (nearly): the guest page's alerts. Once per crossing into "N or fewer ahead" and once
// per call (a recall is a new call): a beep (once sound is on) and a buzz where the browser allows.
// The favicon follows the ticket; the screen is kept on where the browser allows (Screen Wake
// Lock, secure contexts only). Every alert counts on <html data-qode-alerts>, a hook the e2e reads.
import { useEffect, useRef, useState } from 'react'
import { faviconHref, faviconMark, nextAlert, startAlerts } from '../lib/nearlyUp.js'
import { beep, installSoundUnlock, unlockSound, vibrate } from '../lib/sound.js'

const PATTERNS = { nearly: [200, 100, 200], called: [300, 150, 300, 150, 300] }

/** Alert on each crossing and call of `ticket`; `start` is the state the page started from. */
export function useGuestAlerts(ticket, start) {
  const [initial] = useState(() => startAlerts(start))
  const known = useRef(initial)
  const count = useRef(0)
  useEffect(() => {
    if (!ticket) return
    const { known: next, fire } = nextAlert(known.current, ticket)
    known.current = next
    if (!fire) return
    count.current += 1
    const root = document.documentElement
    root.dataset.qodeAlerts = String(count.current)
    root.dataset.qodeAlert = fire
    vibrate(PATTERNS[fire])
    beep()
  }, [ticket])
}

/** The tab's icon: '▶' when called, the number ahead when nearly up, else the page's own (none). */
export function useFavicon(ticket) {
  const href = faviconHref(faviconMark(ticket))
  useEffect(() => {
    let link = document.querySelector('link[rel="icon"]')
    if (!link) {
      link = document.createElement('link')
      link.rel = 'icon'
      document.head.appendChild(link)
    }
    link.href = href
  }, [href])
}

/**
 * The "turn on sound" step: hidden until the guest's first tap (or key press), then a button
 * that unlocks the audio inside its own gesture and plays a test beep. `state`: 'hidden', 'off',
 * 'on' or 'unavailable'.
 */
export function useSoundStep() {
  const [state, setState] = useState('hidden')
  useEffect(() => {
    const stop = installSoundUnlock() // the first tap anywhere already unlocks what it can
    // After the first tap has done what it was for: on 'click', not 'pointerdown'. The step appears
    // above the ticket's buttons, and shown on pointerdown it moved "Leave the line" or "I'm running
    // late" away under the finger, so the guest's first tap on them did nothing.
    const events = ['click', 'keydown']
    const first = () => {
      setState((was) => (was === 'hidden' ? 'off' : was))
      events.forEach((name) => window.removeEventListener(name, first, true))
    }
    events.forEach((name) => window.addEventListener(name, first, true))
    return () => {
      stop()
      events.forEach((name) => window.removeEventListener(name, first, true))
    }
  }, [])
  function turnOn() {
    if (!unlockSound()) {
      setState('unavailable')
      return
    }
    setState('on')
    setTimeout(beep, 150) // a test beep, once the context has resumed
  }
  return [state, turnOn]
}

/**
 * Keep the screen on while `active` where the page may (Screen Wake Lock needs a secure context),
 * taking it again when the page comes back into view. 'held', or 'none' (then the page says "keep
 * this page open").
 */
export function useWakeLock(active, nav = globalThis.navigator, secure = globalThis.isSecureContext) {
  const possible = Boolean(active && secure && nav?.wakeLock?.request)
  const [held, setHeld] = useState(false)
  useEffect(() => {
    if (!possible) return undefined
    let lock = null
    let gone = false
    const take = async () => {
      if (gone || document.visibilityState === 'hidden') return
      try {
        lock = await nav.wakeLock.request('screen')
        if (gone) {
          lock.release?.()
          return
        }
        setHeld(true)
        lock.addEventListener?.('release', () => setHeld(false))
      } catch {
        setHeld(false)
      }
    }
    take()
    document.addEventListener('visibilitychange', take)
    return () => {
      gone = true
      document.removeEventListener('visibilitychange', take)
      lock?.release?.()
    }
  }, [possible, nav])
  return possible && held ? 'held' : 'none'
}
