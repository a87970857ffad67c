// issue 16, grace: listen for a HID scanner on the whole kiosk page (ticketScan.js). Keys typed
// into a text field are a person's and are left alone; the Enter that ends a scan does not press
// the focused button (a scan never takes a ticket).
import { useEffect, useRef } from 'react'
import { createScanDetector, isTextField } from './ticketScan.js'

export function useTicketScanner(enabled, onScan) {
  const latest = useRef(onScan)
  useEffect(() => {
    latest.current = onScan
  }, [onScan])
  useEffect(() => {
    if (!enabled) return undefined
    const detector = createScanDetector((text) => latest.current(text))
    function onKeyDown(event) {
      if (isTextField(document.activeElement)) {
        detector.reset()
        return
      }
      if (detector.feed(event)) {
        event.preventDefault()
        event.stopPropagation()
      }
    }
    window.addEventListener('keydown', onKeyDown, true)
    return () => window.removeEventListener('keydown', onKeyDown, true)
  }, [enabled])
}
