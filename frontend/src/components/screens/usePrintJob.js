import { useEffect, useState } from 'react'

export const PRINT_POLL_MS = 1000 // while the kiosk's job is pending, on the issued screen only

/**
 * The print job that came with a kiosk's ticket, followed on the box (`GET /api/device/jobs/{id}`)
 * until it is printed or failed: `{status, printer, connected, …}`, or null without a job (the
 * kiosk has no printer). The issuing answer's copy shows at once; a lost answer keeps what was
 * known and asks again; a refusal (the job is not this kiosk's to see) stops asking.
 */
export function usePrintJob(api, job) {
  const [state, setState] = useState(job ?? null)
  const jobId = job?.id ?? null
  useEffect(() => {
    if (!jobId) return undefined
    let stopped = false
    let timer = null
    async function poll() {
      try {
        const next = await api.printJob(jobId)
        if (stopped) return
        setState(next)
        if (next?.status !== 'pending') return
      } catch (err) {
        if (stopped) return
        const retry = err?.code === 'offline' || err?.status === 429 || err?.status >= 500
        if (!retry) {
          setState((current) => ({ ...current, status: 'unknown' }))
          return
        }
      }
      timer = setTimeout(poll, PRINT_POLL_MS)
    }
    poll()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [api, jobId])
  return state
}

const TROUBLE = { paper_out: 'kiosk.print.paperOut', offline: 'kiosk.print.offline', error: 'kiosk.print.error' }

/**
 * What the guest is told about the paper ticket: `{kind: 'none'|'printing'|'done'|'trouble', key}`
 * (`key` names the trouble's string). No job: the kiosk has no printer.
 */
export function printNews(job) {
  if (!job) return { kind: 'none', key: 'kiosk.print.none' }
  if (job.status === 'done') return { kind: 'done', key: 'kiosk.print.done' }
  // The box would not say (a kiosk link revoked meanwhile): what is true either way.
  if (job.status === 'unknown') return { kind: 'none', key: 'kiosk.print.none' }
  const trouble = TROUBLE[job.printer]
  if (job.status === 'pending') {
    if (trouble) return { kind: 'trouble', key: trouble }
    // No kiosk daemon on its device channel: nothing will print this until it is back.
    if (job.connected === false) return { kind: 'trouble', key: 'kiosk.print.away' }
    return { kind: 'printing', key: 'kiosk.print.printing' }
  }
  return { kind: 'trouble', key: trouble ?? 'kiosk.print.failed' } // failed, expired, or not ours to know
}
