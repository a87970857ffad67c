import { useState } from 'react'
import Field from '../shared/Field.jsx'
import FormCard from '../shared/FormCard.jsx'
import { useSend } from '../shared/useSend.js'
import { t } from '../../lib/strings.js'
import '../../lib/strings.screens.js'

const PREFIX = /^[A-Za-z0-9]{0,4}$/

/** The form that makes a queue: its name and ticket-number prefix. */
export default function CreateQueue({ api, onCreated, onRejected }) {
  const [name, setName] = useState('')
  const [prefix, setPrefix] = useState('')
  const { busy, problems, failure, send } = useSend(onRejected)

  function submit(event) {
    event.preventDefault()
    const found = {}
    if (!name.trim()) found.name = t('setup.nameRequired')
    if (!PREFIX.test(prefix.trim())) found.prefix = t('setup.prefixInvalid')
    send(found, async () => {
      const queue = await api.createQueue({ name: name.trim(), prefix: prefix.trim() })
      setName('')
      setPrefix('')
      onCreated(queue)
    })
  }

  return (
    <FormCard
      titleId="create-title"
      title={t('setup.createTitle')}
      failure={failure}
      busy={busy}
      submitText={busy ? t('setup.creating') : t('setup.create')}
      onSubmit={submit}
    >
      <Field
        id="queue-name"
        label={t('setup.nameLabel')}
        hint={t('setup.nameHint')}
        error={problems.name}
        value={name}
        maxLength={80}
        required
        onChange={(event) => setName(event.target.value)}
      />
      <Field
        id="queue-prefix"
        label={t('setup.prefixLabel')}
        hint={t('setup.prefixHint')}
        error={problems.prefix}
        value={prefix}
        maxLength={4}
        autoCapitalize="characters"
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => setPrefix(event.target.value)}
      />
    </FormCard>
  )
}
