// Issue 16: a registered display's voice, switched and tested by the host (host dashboard) or
// the admin (setup). The switch is the box's (PUT …/devices/{id}/voice), so the TV follows it at
// once over its device channel; "Test the voice" makes the TV itself say the sample call.
//
// `onSwitch(on)` and `onTest()` resolve to {ok, message?}; the words come from strings.voice.js.
import { useId, useState } from 'react'
import Button from '../Button.jsx'
import { CheckRow } from './CheckRow.jsx'
import { t } from '../../lib/strings.js'
import '../../lib/strings.voice.js'

export default function DisplayVoiceControls({ device, onSwitch, onTest }) {
  const id = useId()
  const [busy, setBusy] = useState(null) // 'switch' | 'test'
  const [said, setSaid] = useState(null) // {tone, text}
  // The box's answer (and the live list after it) may take a moment: the box shows what was
  // asked for at once, back as it was if the box refused, and the box's word once it comes.
  const [wanted, setWanted] = useState(null)
  const [seen, setSeen] = useState(device.voice)
  if (seen !== device.voice) {
    setSeen(device.voice)
    setWanted(null)
  }
  const on = (wanted ?? device.voice) !== false

  async function run(kind, action, done, undo) {
    setBusy(kind)
    setSaid(null)
    try {
      const answer = await action()
      if (!answer?.ok) undo?.()
      if (answer?.skipped) return
      setSaid(answer?.ok ? { tone: 'ok', text: done } : { tone: 'error', text: answer?.message || t('error.generic') })
    } catch {
      undo?.()
      setSaid({ tone: 'error', text: t('error.generic') })
    } finally {
      setBusy(null)
    }
  }

  return (
    <div className="grid gap-2" data-testid={`voice-${device.id}`} data-voice={on ? 'on' : 'off'}>
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <CheckRow
          id={id}
          className="min-w-0 flex-1 basis-56 wrap-anywhere"
          checked={on}
          disabled={busy !== null}
          onChange={(event) => {
            const next = event.target.checked
            setWanted(next)
            run('switch', () => onSwitch(next), t(next ? 'voice.on' : 'voice.off', { name: device.name }), () => setWanted(null))
          }}
        >
          {t('voice.speak', { name: device.name })}
        </CheckRow>
        <Button
          kind="secondary"
          className="w-auto!"
          disabled={busy !== null}
          aria-label={t('voice.testLabel', { name: device.name })}
          onClick={() => run('test', onTest, t('voice.testSent', { name: device.name }))}
        >
          {t('voice.test')}
        </Button>
      </div>
      <p role="status" className={said?.tone === 'error' ? 'text-base font-semibold text-red-800' : 'text-base text-stone-700'}>
        {said?.text ?? ''}
      </p>
    </div>
  )
}
