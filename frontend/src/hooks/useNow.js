import { useEffect, useState } from 'react'

/** Date.now(), refreshed every `every` ms: drives local countdowns between messages. */
export function useNow(every = 1000, now = Date.now) {
  const [value, setValue] = useState(() => now())
  useEffect(() => {
    const timer = setInterval(() => setValue(now()), every)
    return () => clearInterval(timer)
  }, [every, now])
  return value
}
