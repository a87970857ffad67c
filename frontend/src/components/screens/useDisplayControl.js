// Issue 16: a registered display (its link carried `#token=…`, kept like a kiosk's) follows the
// host's voice switch and plays the host's voice tests. It learns its id from GET /api/device and
// listens on its own device channel (/ws/devices/{id}, docs/live.md): the snapshot's `device`,
// then `device` messages when the host switches it, and `voice_test` to say the sample call. The
// calls themselves still come from the public feeds, as for a TV without a token.
//
// Without a token, or while the box refuses it (a wrong link, https needed for a TV on the Wi-Fi),
// `voice` is null and the page keeps its link's choice (`?voice=off`).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { useLatest } from '../../hooks/useLatest.js'
import { useWebSocket } from '../../hooks/useWebSocket.js'
import { screensApi } from '../../lib/screensApi.js'
import { createAnnouncer, voiceOn } from './announcer.js'
import { checkStaffHttps } from './staffHttps.js'
import { useDevice } from './useDevice.js'
import { useFragmentToken } from './useFragmentToken.js'

const selectDevice = (message) => message?.device

/**
 * `token` once it may be sent from here, else null. A display's token is a staff token: over plain
 * http from the Wi-Fi, while the box wants https for those (QODE_STAFF_HTTPS), it is never sent;
 * the TV moves to the box's https address with the token in the fragment, as a kiosk does
 * (StaffHttpsGate), or, with no https address, keeps to its link. A TV without a token is never
 * moved: it needs no https (its certificate may not be installed on the TV).
 */
function useSendableToken(token, tokenKey, location = globalThis.location) {
  const [checked, setChecked] = useState({ token: null, state: null })
  useEffect(() => {
    if (!token) return undefined
    let live = true
    checkStaffHttps({ tokenKey, location }).then((next) => {
      if (!live) return
      if (next.state === 'redirect') location.replace(next.url)
      setChecked({ token, state: next.state })
    })
    return () => {
      live = false
    }
  }, [token, tokenKey, location])
  return token && checked.token === token && checked.state === 'ready' ? token : null
}

/**
 * `token`: the display's token or null. `onTest(fetchSample)`: the host asked for a test;
 * `fetchSample()` resolves to a blob: URL of the sample announcement. Returns
 * {voice: true|false|null, registered, connection, error}.
 */
export function useDisplayControl(token, { onTest, makeApi = screensApi } = {}) {
  const api = useMemo(() => (token ? makeApi(token) : null), [token, makeApi])
  const { device, error } = useDevice(api, token)
  const [voice, setVoice] = useState(null)
  // The latest word wins, from the REST answer (at start and each minute) or from the socket. A
  // new answer is taken while rendering (React's pattern for state that follows a value).
  const [seen, setSeen] = useState(null)
  if (device !== seen) {
    setSeen(device)
    if (typeof device?.voice === 'boolean') setVoice(device.voice)
  }
  const testRef = useLatest(onTest)
  const onMessage = useCallback(
    (message) => {
      if ((message?.type === 'snapshot' || message?.type === 'device') && typeof message.device?.voice === 'boolean') {
        setVoice(message.device.voice)
      } else if (message?.type === 'voice_test' && api) {
        testRef.current?.(async () => URL.createObjectURL(await api.voiceSample()))
      }
    },
    [api, testRef],
  )
  const display = device?.kind === 'display' ? device : null
  const channel = useWebSocket(display ? `/ws/devices/${encodeURIComponent(display.id)}` : null, {
    authToken: token,
    select: selectDevice,
    onMessage,
  })
  const refused = error && error.code !== 'offline' && error.status !== 429 && !(error.status >= 500)
  return {
    voice: display && !refused ? voice : null,
    registered: Boolean(display),
    connection: display ? channel.connection : 'none',
    error: error ?? channel.error ?? null,
  }
}

/**
 * A TV page's voice (DisplayView, DisplayServices): its announcer (made on first use, stopped
 * when the page goes), the token under `tokenKey` with the host's switch and tests, else the
 * link's `?voice=off`. `<html>` carries data-voice-switch (`on`/`off`) and data-voice-control
 * (the device channel's connection, `none` without a token).
 * Returns {voice, announcerNow, chimeRef}: `announcerNow()` is the announcer, `chimeRef` the
 * latest `chime`, for a call said without voice. `location`: the page's (tests give another).
 */
export function useTvVoice({ tokenKey, search, chime, makeAudio, makeApi, location = globalThis.location }) {
  const [linkVoice] = useState(() => voiceOn(search))
  const announcer = useRef(null)
  useEffect(() => () => announcer.current?.stop(), [])
  const chimeRef = useLatest(chime)
  const announcerNow = useCallback(
    () => (announcer.current ??= createAnnouncer({ chime: () => chimeRef.current?.(), makeAudio })),
    [chimeRef, makeAudio],
  )
  const [stored] = useFragmentToken(tokenKey)
  const token = useSendableToken(stored, tokenKey, location)
  const control = useDisplayControl(token, { onTest: (sample) => announcerNow().announce(sample), makeApi })
  const voice = control.voice ?? linkVoice
  useEffect(() => {
    const root = globalThis.document?.documentElement
    if (!root?.dataset) return
    root.dataset.voiceSwitch = voice ? 'on' : 'off'
    root.dataset.voiceControl = control.connection
    return () => {
      delete root.dataset.voiceSwitch
      delete root.dataset.voiceControl
    }
  }, [voice, control.connection])
  return { voice, announcerNow, chimeRef }
}
