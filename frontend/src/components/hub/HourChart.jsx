import HourBars from '../shared/HourBars.jsx'
import { waitMinutes } from './format.js'
import { hourBars } from './hourBars.js'

/** Today's average wait per hour at one site: the host dashboard's chart, fed by the hub's figures. */
export default function HourChart({ waitsPerHour, testId }) {
  return <HourBars bars={hourBars(waitsPerHour)} minutes={waitMinutes} keys="hub" testId={testId} />
}
