import HourBars from '../shared/HourBars.jsx'
import { waitText } from './format.js'
import { hourBars } from './hourBars.js'

/** Today's guests called per hour at one site: the host dashboard's chart, fed by the hub's figures. */
export default function HourChart({ waitsPerHour, testId }) {
  return <HourBars bars={hourBars(waitsPerHour)} duration={waitText} keys="hub" testId={testId} />
}
