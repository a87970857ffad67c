// A file from the box or the hub, fetched with the staff token in the Authorization header (a
// plain link cannot carry it, and a token in the URL would end up in logs and the history),
// then handed to the browser as a download.
import { ApiError } from './api.js'
import { t } from './strings.js'

/** The file name in a Content-Disposition header, or null. */
export function attachmentName(header) {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(String(header ?? ''))
  if (!match) return null
  try {
    return decodeURIComponent(match[1]).replace(/[/\\]/g, '_')
  } catch {
    return match[1]
  }
}

/**
 * GET `path` as `{blob, filename}` (the name from Content-Disposition, or null). An answer that
 * is not 2xx is an ApiError with the contract's code; no answer at all is "offline".
 */
export async function fetchFile(path, { token, baseUrl = '', timeout = 15000, fetchImpl, accept = 'text/csv' } = {}) {
  const controller = new AbortController()
  const timer = timeout ? setTimeout(() => controller.abort(), timeout) : null
  const doFetch = fetchImpl ?? globalThis.fetch
  let response
  let body
  try {
    response = await doFetch(baseUrl + path, {
      method: 'GET',
      headers: { Accept: accept, Authorization: `Bearer ${token}` },
      signal: controller.signal,
      cache: 'no-store',
    })
    body = response.ok ? await response.blob() : await response.text()
  } catch {
    throw new ApiError(0, 'offline', t('error.offline'))
  } finally {
    if (timer) clearTimeout(timer)
  }
  if (!response.ok) {
    let detail
    try {
      detail = JSON.parse(body)?.error ?? null
    } catch {
      detail = null
    }
    const code = typeof detail?.code === 'string' ? detail.code : `http_${response.status}`
    const message = typeof detail?.message === 'string' && detail.message ? detail.message : t('error.generic')
    throw new ApiError(response.status, code, message)
  }
  return { blob: body, filename: attachmentName(response.headers?.get?.('Content-Disposition')) }
}

/**
 * Hand `blob` to the browser as a download named `filename` (an object URL and a passing
 * <a download>). A browser that cannot: an ApiError "no_download" saying `message`.
 */
export function saveBlob(blob, filename, { doc = globalThis.document, message = t('error.generic') } = {}) {
  const URLs = globalThis.URL
  if (!URLs?.createObjectURL || !doc) throw new ApiError(0, 'no_download', message)
  const url = URLs.createObjectURL(blob)
  const link = doc.createElement('a')
  link.href = url
  link.download = filename
  link.rel = 'noopener'
  link.style.display = 'none'
  doc.body.appendChild(link)
  try {
    link.click()
  } finally {
    link.remove()
    // Some browsers read the blob after click() returns: free it a moment later.
    setTimeout(() => URLs.revokeObjectURL?.(url), 10000)
  }
}
