import { t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'

const STEPS = ['queue', 'poster', 'tv']

/**
 * The first-run path: 1. create a queue, 2. print its poster, 3. open the TV, each marked done
 * or not. `done` is {queue, poster, tv}; `queue` the first queue (for steps 2 and 3), or null.
 */
export default function FirstRun({ done, queue, displayUrl, onPoster, onDisplayOpened }) {
  const next = STEPS.find((step) => !done[step])
  return (
    <section aria-labelledby="first-run-title" className="grid gap-3 rounded-2xl bg-blue-50 p-5 ring-2 ring-blue-800" data-testid="first-run">
      <h2 id="first-run-title" className="text-2xl font-bold">
        {t('setup.firstRun.title')}
      </h2>
      <p className="text-base">{t('setup.firstRun.intro')}</p>
      <ol className="grid gap-2">
        {STEPS.map((step, index) => (
          <li
            key={step}
            data-step={step}
            data-done={done[step] ? 'true' : 'false'}
            aria-current={step === next ? 'step' : undefined}
            className={`flex flex-wrap items-center gap-x-3 gap-y-2 rounded-xl p-3 ${done[step] ? 'bg-white text-stone-800' : step === next ? 'bg-white ring-2 ring-blue-800' : 'bg-white/60'}`}
          >
            <span
              aria-hidden="true"
              className={`inline-flex h-9 w-9 shrink-0 items-center justify-center rounded-full text-lg font-black ${done[step] ? 'bg-emerald-700 text-white' : 'border-2 border-stone-700 text-stone-900'}`}
            >
              {done[step] ? '✓' : index + 1}
            </span>
            <span className="min-w-0 flex-1 basis-40 text-lg">
              <span className="font-semibold">{t(`setup.firstRun.${step}`, { number: index + 1 })}</span>
              <span className="sr-only">{` (${done[step] ? t('setup.firstRun.done') : t('setup.firstRun.todo')})`}</span>
              {done[step] ? <span aria-hidden="true" className="ms-2 text-base text-emerald-900">{t('setup.firstRun.done')}</span> : null}
            </span>
            <StepAction step={step} queue={queue} displayUrl={displayUrl} onPoster={onPoster} onDisplayOpened={onDisplayOpened} />
          </li>
        ))}
      </ol>
    </section>
  )
}

const ACTION = 'inline-flex min-h-12 items-center rounded-xl px-4 text-base font-semibold focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-blue-700'

function StepAction({ step, queue, displayUrl, onPoster, onDisplayOpened }) {
  if (step === 'queue') {
    if (queue) return null
    return (
      <a href="#queue-name" className={`${ACTION} bg-blue-800 text-white hover:bg-blue-900`}>
        {t('setup.firstRun.queueGo')}
      </a>
    )
  }
  if (!queue) return null
  if (step === 'poster') {
    return (
      <button type="button" onClick={onPoster} className={`${ACTION} border-2 border-stone-700 bg-white text-stone-900 hover:bg-stone-100`}>
        {t('setup.firstRun.posterGo', { name: queue.name })}
      </button>
    )
  }
  return (
    <a href={displayUrl} target="_blank" rel="noopener noreferrer" onClick={onDisplayOpened} className={`${ACTION} border-2 border-stone-700 bg-white text-stone-900 hover:bg-stone-100`}>
      {t('setup.firstRun.tvGo', { name: queue.name })}
    </a>
  )
}
