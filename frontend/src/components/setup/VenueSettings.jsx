import { useRef, useState } from 'react'
import Button from '../Button.jsx'
import Field from '../shared/Field.jsx'
import FormCard from '../shared/FormCard.jsx'
import { useSend } from '../shared/useSend.js'
import { useVenue } from '../../hooks/useVenue.js'
import { errorText, t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'
import { contrast, inkOf, PAGE_BACKGROUND, setVenue, textOn } from '../../lib/venue.js'

// Each language in its own name: the choice is for the people who read it.
const LANGUAGES = [
  ['en', 'English'],
  ['de', 'Deutsch'],
  ['fr', 'Français'],
  ['es', 'Español'],
  ['tr', 'Türkçe'],
  ['pl', 'Polski'],
  ['uk', 'Українська'],
  ['ar', 'العربية'],
]
const COLOUR = /^#[0-9a-f]{6}$/i
const LOGO_TYPES = 'image/png,image/jpeg,image/webp,image/svg+xml'

const ratio = (value) => (Math.floor(value * 10) / 10).toFixed(1)

/**
 * Setup's "Your venue": the name, logo, accent colour, footer line and default language every
 * page, the TV, the kiosk and the printed ticket show. The colour's contrast is shown live:
 * the text on it is white or black, whichever reads at 4.5:1, and as text on the page a light
 * colour is darkened until it does (the box computes the same).
 */
export default function VenueSettings({ api, onRejected }) {
  const venue = useVenue()
  // A venue already set up shows as one line with "Change" (setup stays short); a new one opens
  // with the form. Decided once, when the venue is first known: saving keeps the form open.
  const [folded, setFolded] = useState(null)
  if (venue && folded === null) setFolded(Boolean(venue.name)) // state that follows a value, once
  // The form starts from the box's values once they are known, and keeps what is typed after.
  const [draft, setDraft] = useState(null)
  const [saved, setSaved] = useState(null)
  const { busy, problems, failure, send } = useSend(onRejected)
  const form = draft ?? {
    name: venue?.name ?? '',
    footer: venue?.footer ?? '',
    accent: venue?.accent ?? '#1e40af',
    language: venue?.language ?? '',
  }
  const edit = (field) => (event) => {
    setSaved(null)
    setDraft({ ...form, [field]: event.target.value })
  }

  function submit(event) {
    event.preventDefault()
    const found = {}
    if (!form.name.trim()) found.name = t('venue.nameRequired')
    if (!COLOUR.test(form.accent)) found.accent = t('venue.accentInvalid')
    send(found, async () => {
      const answer = await api.request('PATCH', '/api/venue', {
        body: { name: form.name.trim(), footer: form.footer.trim(), accent: form.accent, language: form.language || null },
      })
      setVenue(answer)
      setDraft(null)
      setSaved(t('venue.saved'))
    })
  }

  const accent = COLOUR.test(form.accent) ? form.accent.toLowerCase() : '#1e40af'
  const onAccent = textOn(accent)
  const ink = inkOf(accent)
  const asText = contrast(accent, PAGE_BACKGROUND)

  if (folded && venue?.name) {
    return (
      <section aria-labelledby="venue-title" className="grid gap-3 rounded-2xl bg-white p-5 shadow-sm ring-1 ring-stone-300">
        <h2 id="venue-title" className="text-2xl font-bold">
          {t('venue.title')}
        </h2>
        <div className="flex flex-wrap items-center gap-3">
          {venue.logo_url ? <img src={venue.logo_url} alt="" className="h-10 w-auto max-w-32 object-contain" /> : null}
          <p className="min-w-0 flex-1 text-lg font-semibold wrap-anywhere">{venue.name}</p>
          <span aria-hidden="true" className="h-8 w-8 shrink-0 rounded-full ring-1 ring-stone-400" style={{ background: venue.accent }} />
        </div>
        <Button kind="secondary" aria-expanded="false" onClick={() => setFolded(false)}>
          {t('venue.change')}
        </Button>
      </section>
    )
  }

  return (
    <FormCard
      titleId="venue-title"
      title={t('venue.title')}
      intro={
        <>
          <p className="text-lg text-stone-800">{t('venue.intro')}</p>
          <VenueLogo api={api} venue={venue} onRejected={onRejected} />
        </>
      }
      failure={failure}
      busy={busy}
      submitText={busy ? t('venue.saving') : t('venue.save')}
      onSubmit={submit}
    >
      <Field
        id="venue-name"
        label={t('venue.name')}
        hint={t('venue.nameHint')}
        error={problems.name}
        value={form.name}
        maxLength={80}
        required
        onChange={edit('name')}
      />

      <div className="grid gap-2">
        <label htmlFor="venue-accent" className="text-lg font-semibold">
          {t('venue.accent')}
        </label>
        <div className="flex flex-wrap items-center gap-3">
          <input
            id="venue-accent"
            type="color"
            value={accent}
            aria-describedby="venue-accent-hint venue-contrast"
            onChange={edit('accent')}
            className="h-12 w-20 cursor-pointer rounded-lg border-2 border-stone-500 bg-white p-1"
          />
          <span className="font-mono text-lg">{accent}</span>
          <span
            data-testid="venue-sample"
            className="inline-flex min-h-12 items-center rounded-xl px-5 text-lg font-semibold"
            style={{ background: accent, color: onAccent }}
          >
            {t('venue.sampleButton')}
          </span>
          <span className="text-lg font-bold" style={{ color: ink }}>
            {t('venue.sampleText')}
          </span>
        </div>
        <p id="venue-accent-hint" className="text-base text-stone-700">
          {t('venue.accentHint')}
        </p>
        <p id="venue-contrast" aria-live="polite" className="text-base text-stone-800">
          {t('venue.contrastOn', {
            which: onAccent === '#ffffff' ? t('venue.white') : t('venue.black'),
            ratio: ratio(contrast(accent, onAccent)),
          })}{' '}
          {ink === accent
            ? t('venue.inkSame', { ratio: ratio(asText) })
            : t('venue.inkDarkened', { ratio: ratio(asText), colour: ink, inkRatio: ratio(contrast(ink, PAGE_BACKGROUND)) })}
        </p>
        {problems.accent ? <p className="text-base font-semibold text-red-800">{problems.accent}</p> : null}
      </div>

      <Field
        id="venue-footer"
        label={t('venue.footer')}
        hint={t('venue.footerHint')}
        value={form.footer}
        maxLength={120}
        onChange={edit('footer')}
      />

      <div className="grid gap-1">
        <label htmlFor="venue-language" className="text-lg font-semibold">
          {t('venue.language')}
        </label>
        <select
          id="venue-language"
          value={form.language}
          aria-describedby="venue-language-hint"
          onChange={edit('language')}
          className="min-h-12 w-full min-w-0 rounded-lg border-2 border-stone-500 bg-white px-3 text-lg"
        >
          <option value="">{t('venue.languageEach')}</option>
          {LANGUAGES.map(([code, name]) => (
            <option key={code} value={code} lang={code}>
              {name}
            </option>
          ))}
        </select>
        <p id="venue-language-hint" className="text-base text-stone-700">
          {t('venue.languageHint')}
        </p>
      </div>

      {saved ? (
        <p role="status" className="text-lg font-semibold text-emerald-900">
          {saved}
        </p>
      ) : null}

    </FormCard>
  )
}

/** The logo: its preview, a file to upload (checked by the box) and a way to remove it. */
function VenueLogo({ api, venue, onRejected }) {
  const input = useRef(null)
  const [state, setState] = useState({ busy: false, error: null, done: null })

  async function run(work, done) {
    setState({ busy: true, error: null, done: null })
    try {
      setVenue(await work())
      setState({ busy: false, error: null, done })
    } catch (err) {
      setState({ busy: false, error: onRejected(err) ? null : errorText(err), done: null })
    } finally {
      if (input.current) input.current.value = ''
    }
  }

  function chosen(event) {
    const file = event.target.files?.[0]
    if (file) run(() => api.request('PUT', '/api/venue/logo', { raw: file }), t('venue.logoSaved'))
  }

  return (
    <section aria-labelledby="venue-logo-title" className="grid min-w-0 gap-3 rounded-xl border-2 border-stone-300 p-4">
      <h3 id="venue-logo-title" className="text-xl font-bold">
        {t('venue.logo')}
      </h3>
      {venue?.logo_url ? (
        <img
          src={venue.logo_url}
          alt={t('venue.logoPreview')}
          data-testid="venue-logo-preview"
          className="h-20 w-auto max-w-full justify-self-start rounded-lg bg-white object-contain ring-1 ring-stone-300"
        />
      ) : (
        <p className="text-lg text-stone-800">{t('venue.noLogo')}</p>
      )}
      <label htmlFor="venue-logo-file" className="text-lg font-semibold">
        {t('venue.logoChoose')}
      </label>
      <input
        ref={input}
        id="venue-logo-file"
        type="file"
        accept={LOGO_TYPES}
        aria-describedby="venue-logo-hint"
        disabled={state.busy}
        onChange={chosen}
        className="min-h-12 w-full min-w-0 text-lg file:me-3 file:min-h-12 file:rounded-lg file:border-2 file:border-stone-700 file:bg-white file:px-4 file:font-semibold"
      />
      <p id="venue-logo-hint" className="text-base text-stone-700">
        {t('venue.logoHint')}
      </p>
      {state.busy ? <p className="text-lg">{t('venue.uploading')}</p> : null}
      {state.error ? (
        <p role="alert" data-testid="venue-logo-error" className="text-lg font-semibold text-red-800">
          {state.error}
        </p>
      ) : null}
      {state.done ? (
        <p role="status" className="text-lg font-semibold text-emerald-900">
          {state.done}
        </p>
      ) : null}
      {venue?.logo_url ? (
        <Button kind="secondary" disabled={state.busy} onClick={() => run(() => api.request('DELETE', '/api/venue/logo'), t('venue.logoRemoved'))}>
          {t('venue.logoRemove')}
        </Button>
      ) : null}
    </section>
  )
}
