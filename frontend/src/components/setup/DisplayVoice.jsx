// Issue 16: a TV's voice, in its card's display section. "Speak the calls" decides the display
// link (`?voice=off` when unticked: the TV keeps its chime only), and "Test the voice" plays the
// sample call ("A042, counter 2") the box makes in the venue's language, here on the setup device.
import { useEffect, useId, useRef, useState } from 'react'
import Button from '../Button.jsx'
import { CheckRow } from '../shared/CheckRow.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'

export default function DisplayVoice({ api, on, onChange, showTest = true, makeAudio = (url) => new Audio(url) }) {
  const id = useId()
  const [state, setState] = useState({ status: 'idle' })
  const urlRef = useRef(null)
  useEffect(() => () => urlRef.current && URL.revokeObjectURL?.(urlRef.current), [])

  async function test() {
    setState({ status: 'loading' })
    try {
      const blob = await api.voiceSample()
      if (urlRef.current) URL.revokeObjectURL?.(urlRef.current)
      urlRef.current = URL.createObjectURL(blob)
      const audio = makeAudio(urlRef.current)
      audio.addEventListener?.('ended', () => setState({ status: 'played' }))
      setState({ status: 'playing' })
      await audio.play()
    } catch (err) {
      setState({ status: 'failed', message: err?.message || t('error.generic') })
    }
  }

  const message = {
    loading: t('setup.voiceMaking'),
    playing: t('setup.voicePlaying'),
    played: t('setup.voicePlayed'),
    failed: t('setup.voiceFailed', { message: state.message }),
  }[state.status]

  return (
    <div className="grid gap-2">
      <CheckRow id={id} checked={on} onChange={(e) => onChange(e.target.checked)}>
        {t('setup.voiceSpeak')}
      </CheckRow>
      <p className="text-base text-stone-700">{t('setup.voiceHelp')}</p>
      {showTest ? (
        <div className="flex flex-wrap items-center gap-3">
          <Button kind="secondary" onClick={test} disabled={state.status === 'loading'}>
            {t('setup.voiceTest')}
          </Button>
          <p role="status" className={state.status === 'failed' ? 'text-base font-semibold text-red-800' : 'text-base text-stone-700'}>
            {message ?? ''}
          </p>
        </div>
      ) : null}
    </div>
  )
}
