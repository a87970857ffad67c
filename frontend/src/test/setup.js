import '@testing-library/jest-dom/vitest'
import { cleanup } from '@testing-library/react'
import { options } from 'preact'
import { afterEach } from 'vitest'

// Preact runs effects after the next animation frame. jsdom draws no frames, so Preact would
// wait for its 35 ms fallback timer; here the "next frame" is the next task, as in a browser
// that paints at once. (Inside act() Preact flushes effects itself.)
options.requestAnimationFrame = (flush) => setTimeout(flush)

afterEach(() => {
  cleanup()
  localStorage.clear()
})
