const TONES = {
  success: 'border-emerald-700 bg-emerald-50 text-emerald-950',
  info: 'border-amber-600 bg-amber-50 text-stone-950',
  error: 'border-red-800 bg-red-50 text-red-950',
}

/** The answer to the host's last action, in a live region that is always there (empty, it takes no room). */
export default function Notice({ notice }) {
  return (
    <div role="status" aria-live="polite" aria-atomic="true">
      {notice ? (
        <p data-tone={notice.tone} className={`mt-4 rounded-xl border-s-8 px-4 py-3 text-lg font-semibold ${TONES[notice.tone] ?? TONES.info}`}>
          {notice.text}
        </p>
      ) : null}
    </div>
  )
}
