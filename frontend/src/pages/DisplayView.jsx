// The display page: built in the next step of issue 5.
import NotFound from './NotFound.jsx'

export default function DisplayView() {
  return <NotFound />
}
