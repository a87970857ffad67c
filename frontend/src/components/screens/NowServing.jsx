import { t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'

/**
 * The TV's "Now serving" section: its heading and the grid of call tiles (`children`, one <li>
 * each), laid out by `grid` ({landscape, portrait}: cols and rows, see index.css), or the empty
 * "nobody yet" panel when there are no calls. Used by the one-service and the several-services TV.
 */
export default function NowServing({ grid, empty, children }) {
  return (
    <section aria-labelledby="now-serving" className="flex min-h-0 min-w-0 flex-col gap-[1.5vmin]">
      <h2 id="now-serving" className="shrink-0 text-[3.5vmin] font-semibold uppercase leading-tight tracking-wide text-stone-200">
        {t('display.nowServing')}
      </h2>
      {empty ? (
        <div className="flex min-h-0 flex-1 flex-col items-center justify-center gap-[2vmin] rounded-[3vmin] bg-stone-900 p-[3vmin] text-center ring-2 ring-stone-700">
          <p className="text-[20vmin] font-black leading-none text-stone-400" aria-hidden="true">
            —
          </p>
          <p className="text-[4.5vmin] text-stone-200">{t('display.nobodyYet')}</p>
        </div>
      ) : (
        <ol
          className="tv-tiles"
          style={{
            '--cols-l': grid.landscape.cols,
            '--rows-l': grid.landscape.rows,
            '--cols-p': grid.portrait.cols,
            '--rows-p': grid.portrait.rows,
          }}
        >
          {children}
        </ol>
      )}
    </section>
  )
}
