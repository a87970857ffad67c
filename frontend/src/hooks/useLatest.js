import { useLayoutEffect, useRef } from 'react'

/**
 * A ref that holds the latest `value`, for callbacks that outlive the render that made them
 * (event handlers, socket callbacks, timers). It is set after each commit, never during render,
 * as React's rules ask; layout effects run before any effect or event can read it.
 */
export function useLatest(value) {
  const ref = useRef(value)
  useLayoutEffect(() => {
    ref.current = value
  })
  return ref
}
