import { useRef } from 'react'
import { t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'
import CopyStatus from '../shared/CopyStatus.jsx'
import { useCopy } from '../shared/useCopy.js'

/** A link as selectable text with a Copy button (and Open, when `open`; `onOpen` is told). */
export default function CopyLink({ url, label, open = false, onOpen }) {
  const input = useRef(null)
  const [result, copy] = useCopy(3000) // null | "copied" | "failed"

  return (
    <div className="grid gap-1">
      <div className="flex flex-wrap gap-2">
        <input
          ref={input}
          type="text"
          readOnly
          dir="ltr"
          value={url}
          aria-label={label}
          onFocus={(event) => event.target.select()}
          className="min-h-12 w-full min-w-0 flex-1 basis-48 rounded-lg border-2 border-stone-500 bg-white px-3 font-mono text-sm text-stone-900"
        />
        <div className="flex flex-wrap gap-2">
          <button
            type="button"
            onClick={() => copy(url, input.current)}
            className="min-h-12 rounded-lg bg-blue-800 px-4 text-base font-semibold text-white hover:bg-blue-900 active:bg-blue-950"
          >
            {t('screens.copy')}
          </button>
          {open ? (
            <a
              href={url}
              target="_blank"
              rel="noopener noreferrer"
              onClick={onOpen}
              className="inline-flex min-h-12 items-center rounded-lg border-2 border-stone-700 bg-white px-4 text-base font-semibold text-stone-900 hover:bg-stone-100"
            >
              {t('screens.open')}
            </a>
          ) : null}
        </div>
      </div>
      <CopyStatus result={result} keys="screens" />
    </div>
  )
}
