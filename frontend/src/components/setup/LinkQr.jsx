import { useEffect, useState } from 'react'

/** A QR of a link with a secret in it (the host link): drawn by the box, shown as a data: image. */
export default function LinkQr({ api, url, alt }) {
  // The answer remembers what it was drawn for, so a new link never shows the old one's QR.
  const [drawn, setDrawn] = useState(null) // {api, url, src}
  useEffect(() => {
    let live = true
    api
      .linkQr(url)
      .then((answer) => live && setDrawn({ api, url, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(answer.svg)}` }))
      .catch(() => {}) // the link text above is enough; a missing QR is not an error to shout about
    return () => {
      live = false
    }
  }, [api, url])
  if (!drawn || drawn.api !== api || drawn.url !== url) return null
  return <img src={drawn.src} alt={alt} className="h-48 w-48 bg-white p-2" />
}
