// The strings every page needs (app, guest, join, errors). Other pages keep theirs in their
// own files (strings.host.js, strings.screens.js, strings.hub.js), which add themselves to this
// dictionary when their page's chunk loads, so a guest's phone never downloads them.
//
// English is the reference: a test checks that every language has exactly its keys. `{name}`
// is replaced by t(key, {name: ...}). A plural key has one variant per CLDR plural category
// of its language (`_one`, `_few`, `_many`, `_other`, …), chosen by Intl.PluralRules from the
// `count` parameter: Polish needs `_few` and `_many`, English only `_one` and `_other`.

const base = {
  en: {
    'app.name': 'Qode',
    'app.loading': 'Loading…',
    'app.failedTitle': 'This page could not be shown',
    'app.failedBody': 'The connection to the queue may have dropped. The page tries again by itself as soon as the box answers.',
    'app.retry': 'Try again now',
    'language.label': 'Language',
    'staffHttps.moving': 'Opening this page at the box’s secure (https) address…',
    'staffHttps.blockedTitle': 'This page needs the box’s secure address',
    'staffHttps.blockedBody': 'The box does not accept staff links over plain http, where anyone on the Wi-Fi could overhear them, and it has no secure (https) address yet. Run the installer on the box again (sudo ./install.sh), which sets one up.',

    'connection.connecting': 'Connecting…',
    'connection.reconnecting': 'Reconnecting…',
    'connection.offline': 'No network. Reconnecting…',
    'connection.lastUpdate': 'Showing what we knew at {time}.',

    'notFound.title': 'Page not found',
    'notFound.body': 'This address does not lead anywhere. Scan the QR code on your ticket or on the poster again.',

    'ticket.title': 'Your ticket',
    'ticket.number': 'Ticket number',
    'ticket.status.WAITING': 'Waiting',
    'ticket.status.CALLED': 'Your turn',
    'ticket.status.SERVING': 'Being served',
    'ticket.status.COMPLETED': 'Done',
    'ticket.status.NO_SHOW': 'Missed',
    'ticket.status.CANCELLED': 'Cancelled',
    'ticket.peopleAhead_one': '{count} person ahead of you',
    'ticket.peopleAhead_other': '{count} people ahead of you',
    'ticket.nobodyAhead': 'Nobody ahead of you',
    'ticket.eta': 'about {minutes} min',
    'ticket.etaLabel': 'Estimated wait',
    'ticket.next': "You're next",
    'ticket.nowServing': 'Now serving',
    'ticket.nobodyServed': 'Nobody yet',
    'ticket.calledTitle': 'Your turn',
    'ticket.calledCounter': 'Counter {counter}',
    'ticket.calledAnyCounter': 'Please go to the desk',
    'ticket.calledDismiss': 'OK, on my way',
    'ticket.serving': 'You are being served at counter {counter}.',
    'ticket.servingAnyCounter': 'You are being served.',
    'ticket.completed': 'Thank you for your visit.',
    'ticket.noShow': 'You were called but missed your turn. Please ask at the desk.',
    'ticket.cancelled': 'This ticket is cancelled.',
    'ticket.dayEnded': 'The day has ended and this ticket has closed.',
    'ticket.lineClosed': 'The line was closed for today, and this ticket was cancelled.',
    'ticket.cancelledByHost': 'This ticket was cancelled by the host.',
    'ticket.newTicket': 'Take a new ticket',
    'ticket.keepOpen': 'Keep this page open. It updates by itself.',
    'ticket.cancel': 'Leave the line',
    'ticket.cancelConfirm': 'Leave the line? You will lose your place.',
    'ticket.cancelYes': 'Yes, leave the line',
    'ticket.cancelNo': 'No, keep my place',
    'ticket.cancelling': 'Leaving…',
    'ticket.notFoundTitle': "We can't find this ticket",
    'ticket.notFoundBody': 'The link may be wrong, or the ticket is from an earlier day. Ask at the desk if you need help.',
    'ticket.announce': 'Ticket {number}: {status}.',
    'ticket.announceAhead': 'Ticket {number}: {status}, {ahead}.',
    'ticket.announceNobodyAhead': 'Ticket {number}: {status}, nobody ahead of you.',
    'ticket.announceCalled': 'Ticket {number}: your turn, counter {counter}.',

    'join.title': 'Join the line',
    'join.nowServing': 'Now serving',
    'join.waiting_one': '{count} person waiting',
    'join.waiting_other': '{count} people waiting',
    'join.nobodyWaiting': 'Nobody is waiting',
    'join.eta': 'If you join now: about {minutes} min',
    'join.etaNone': 'If you join now: no wait expected',
    'join.take': 'Take a ticket',
    'join.taking': 'Taking a ticket…',
    'join.paused': 'This line is paused for a moment.',
    'join.pausedBack': 'Back in about {minutes} min.',
    'join.closed': 'This line is closed right now.',
    'join.closedBody': 'No new tickets are being handed out. Please ask at the desk.',
    'join.notFoundTitle': "We can't find this line",
    'join.notFoundBody': 'Scan the QR code on the poster again, or ask at the desk.',

    'error.offline': 'No connection to the queue. Check your Wi-Fi and try again.',
    'error.rate_limited': 'Too many tries. Please wait a minute and try again.',
    'error.queue_paused': 'This line is paused for a moment. Please try again shortly.',
    'error.queue_closed': 'This line is closed and is not taking new tickets.',
    'error.queue_full': 'This line is full right now. Please try again when it has moved on.',
    'error.too_many_tickets': 'This phone or network already holds as many tickets for this line as one guest may. Try again once one of them has been served.',
    'error.illegal_transition': 'That is not possible any more: your ticket has moved on.',
    'error.generic': 'Something went wrong. Please try again.',
    'error.storage_disk_full': 'The box cannot save right now, so no ticket was made. Please ask the staff.',
    'error.storage_read_only': 'The box cannot save right now, so no ticket was made. Please ask the staff.',
    'error.storage_io_error': 'The box cannot save right now, so no ticket was made. Please ask the staff.',
    'error.storage_busy': 'The box is busy. Please try again in a moment.',
  },

  de: {
    'app.name': 'Qode',
    'app.loading': 'Wird geladen…',
    'app.failedTitle': 'Diese Seite konnte nicht angezeigt werden',
    'app.failedBody': 'Die Verbindung zur Warteschlange ist vielleicht unterbrochen. Die Seite versucht es von selbst erneut, sobald die Box antwortet.',
    'app.retry': 'Jetzt erneut versuchen',
    'language.label': 'Sprache',
    'staffHttps.moving': 'Diese Seite wird unter der sicheren (https-)Adresse der Box geöffnet…',
    'staffHttps.blockedTitle': 'Diese Seite braucht die sichere Adresse der Box',
    'staffHttps.blockedBody': 'Die Box nimmt Links für das Personal nicht über unverschlüsseltes http an, wo jeder im WLAN mitlesen könnte, und sie hat noch keine sichere (https-)Adresse. Führen Sie das Installationsprogramm auf der Box erneut aus (sudo ./install.sh), es richtet sie ein.',

    'connection.connecting': 'Verbindung wird hergestellt…',
    'connection.reconnecting': 'Verbindung wird wiederhergestellt…',
    'connection.offline': 'Kein Netz. Verbindung wird wiederhergestellt…',
    'connection.lastUpdate': 'Stand von {time}.',

    'notFound.title': 'Seite nicht gefunden',
    'notFound.body': 'Diese Adresse führt nirgendwohin. Scannen Sie den QR-Code auf Ihrem Ticket oder auf dem Aushang noch einmal.',

    'ticket.title': 'Ihr Ticket',
    'ticket.number': 'Ticketnummer',
    'ticket.status.WAITING': 'In der Warteschlange',
    'ticket.status.CALLED': 'Sie sind dran',
    'ticket.status.SERVING': 'Wird bedient',
    'ticket.status.COMPLETED': 'Erledigt',
    'ticket.status.NO_SHOW': 'Verpasst',
    'ticket.status.CANCELLED': 'Storniert',
    'ticket.peopleAhead_one': '{count} Person vor Ihnen',
    'ticket.peopleAhead_other': '{count} Personen vor Ihnen',
    'ticket.nobodyAhead': 'Niemand vor Ihnen',
    'ticket.eta': 'etwa {minutes} Min.',
    'ticket.etaLabel': 'Geschätzte Wartezeit',
    'ticket.next': 'Sie sind als Nächstes dran',
    'ticket.nowServing': 'Aktuell an der Reihe',
    'ticket.nobodyServed': 'Noch niemand',
    'ticket.calledTitle': 'Sie sind dran',
    'ticket.calledCounter': 'Schalter {counter}',
    'ticket.calledAnyCounter': 'Bitte kommen Sie zum Schalter',
    'ticket.calledDismiss': 'OK, ich komme',
    'ticket.serving': 'Sie werden an Schalter {counter} bedient.',
    'ticket.servingAnyCounter': 'Sie werden bedient.',
    'ticket.completed': 'Vielen Dank für Ihren Besuch.',
    'ticket.noShow': 'Sie wurden aufgerufen, waren aber nicht da. Bitte fragen Sie am Schalter.',
    'ticket.cancelled': 'Dieses Ticket ist storniert.',
    'ticket.dayEnded': 'Der Tag ist vorbei, dieses Ticket ist abgelaufen.',
    'ticket.lineClosed': 'Die Warteschlange wurde für heute geschlossen, dieses Ticket wurde storniert.',
    'ticket.cancelledByHost': 'Dieses Ticket wurde vom Personal storniert.',
    'ticket.newTicket': 'Neues Ticket ziehen',
    'ticket.keepOpen': 'Lassen Sie diese Seite offen. Sie aktualisiert sich selbst.',
    'ticket.cancel': 'Warteschlange verlassen',
    'ticket.cancelConfirm': 'Warteschlange verlassen? Ihr Platz geht verloren.',
    'ticket.cancelYes': 'Ja, verlassen',
    'ticket.cancelNo': 'Nein, Platz behalten',
    'ticket.cancelling': 'Wird storniert…',
    'ticket.notFoundTitle': 'Dieses Ticket gibt es nicht',
    'ticket.notFoundBody': 'Der Link ist falsch oder das Ticket ist von einem früheren Tag. Fragen Sie bei Bedarf am Schalter.',
    'ticket.announce': 'Ticket {number}: {status}.',
    'ticket.announceAhead': 'Ticket {number}: {status}, {ahead}.',
    'ticket.announceNobodyAhead': 'Ticket {number}: {status}, niemand vor Ihnen.',
    'ticket.announceCalled': 'Ticket {number}: Sie sind dran, Schalter {counter}.',

    'join.title': 'In die Warteschlange',
    'join.nowServing': 'Aktuell an der Reihe',
    'join.waiting_one': '{count} Person wartet',
    'join.waiting_other': '{count} Personen warten',
    'join.nobodyWaiting': 'Niemand wartet',
    'join.eta': 'Wartezeit, wenn Sie jetzt ziehen: etwa {minutes} Min.',
    'join.etaNone': 'Wenn Sie jetzt ziehen: keine Wartezeit erwartet',
    'join.take': 'Ticket ziehen',
    'join.taking': 'Ticket wird gezogen…',
    'join.paused': 'Diese Warteschlange ist kurz pausiert.',
    'join.pausedBack': 'Weiter in etwa {minutes} Min.',
    'join.closed': 'Diese Warteschlange ist gerade geschlossen.',
    'join.closedBody': 'Es werden keine neuen Tickets ausgegeben. Bitte fragen Sie am Schalter.',
    'join.notFoundTitle': 'Diese Warteschlange gibt es nicht',
    'join.notFoundBody': 'Scannen Sie den QR-Code auf dem Aushang noch einmal oder fragen Sie am Schalter.',

    'error.offline': 'Keine Verbindung zur Warteschlange. Prüfen Sie Ihr WLAN und versuchen Sie es erneut.',
    'error.rate_limited': 'Zu viele Versuche. Bitte warten Sie eine Minute und versuchen Sie es dann erneut.',
    'error.queue_paused': 'Diese Warteschlange ist kurz pausiert. Bitte versuchen Sie es gleich noch einmal.',
    'error.queue_closed': 'Diese Warteschlange ist geschlossen und gibt keine neuen Tickets aus.',
    'error.queue_full': 'Diese Warteschlange ist gerade voll. Bitte versuchen Sie es erneut, wenn sie weitergegangen ist.',
    'error.too_many_tickets': 'Dieses Handy oder Netz hat schon so viele Tickets für diese Warteschlange, wie ein Gast haben darf. Versuchen Sie es erneut, sobald eines davon bedient wurde.',
    'error.illegal_transition': 'Das geht nicht mehr: Ihr Ticket ist schon weiter.',
    'error.generic': 'Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.',
    'error.storage_disk_full': 'Die Box kann gerade nicht speichern, daher wurde kein Ticket erstellt. Bitte fragen Sie das Personal.',
    'error.storage_read_only': 'Die Box kann gerade nicht speichern, daher wurde kein Ticket erstellt. Bitte fragen Sie das Personal.',
    'error.storage_io_error': 'Die Box kann gerade nicht speichern, daher wurde kein Ticket erstellt. Bitte fragen Sie das Personal.',
    'error.storage_busy': 'Die Box ist beschäftigt. Bitte versuchen Sie es gleich noch einmal.',
  },

  fr: {
    'app.name': 'Qode',
    'app.loading': 'Chargement…',
    'app.failedTitle': 'Impossible d’afficher cette page',
    'app.failedBody': 'La connexion à la file d’attente a peut-être été coupée. La page réessaie d’elle-même dès que le boîtier répond.',
    'app.retry': 'Réessayer maintenant',
    'language.label': 'Langue',
    'staffHttps.moving': 'Ouverture de cette page à l’adresse sécurisée (https) du boîtier…',
    'staffHttps.blockedTitle': 'Cette page a besoin de l’adresse sécurisée du boîtier',
    'staffHttps.blockedBody': 'Le boîtier n’accepte pas les liens du personnel en http simple, où n’importe qui sur le Wi-Fi pourrait les intercepter, et il n’a pas encore d’adresse sécurisée (https). Relancez l’installation sur le boîtier (sudo ./install.sh), qui en crée une.',
    'connection.connecting': 'Connexion…',
    'connection.reconnecting': 'Reconnexion…',
    'connection.offline': 'Pas de réseau. Reconnexion…',
    'connection.lastUpdate': 'Dernières informations reçues à {time}.',
    'notFound.title': 'Page introuvable',
    'notFound.body': 'Cette adresse ne mène nulle part. Scannez à nouveau le QR code de votre ticket ou de l’affiche.',
    'ticket.title': 'Votre ticket',
    'ticket.number': 'Numéro de ticket',
    'ticket.status.WAITING': 'En attente',
    'ticket.status.CALLED': 'C’est votre tour',
    'ticket.status.SERVING': 'Pris en charge',
    'ticket.status.COMPLETED': 'Terminé',
    'ticket.status.NO_SHOW': 'Tour manqué',
    'ticket.status.CANCELLED': 'Annulé',
    'ticket.peopleAhead_one': '{count} personne avant vous',
    'ticket.peopleAhead_many': '{count} de personnes avant vous',
    'ticket.peopleAhead_other': '{count} personnes avant vous',
    'ticket.nobodyAhead': 'Personne avant vous',
    'ticket.eta': 'environ {minutes} min',
    'ticket.etaLabel': 'Attente estimée',
    'ticket.next': 'Vous passez juste après',
    'ticket.nowServing': 'Numéro appelé',
    'ticket.nobodyServed': 'Personne pour l’instant',
    'ticket.calledTitle': 'C’est votre tour',
    'ticket.calledCounter': 'Guichet {counter}',
    'ticket.calledAnyCounter': 'Présentez-vous au guichet',
    'ticket.calledDismiss': 'OK, j’arrive',
    'ticket.serving': 'On s’occupe de vous au guichet {counter}.',
    'ticket.servingAnyCounter': 'On s’occupe de vous.',
    'ticket.completed': 'Merci de votre visite.',
    'ticket.noShow': 'Votre numéro a été appelé, mais vous avez manqué votre tour. Adressez-vous au guichet.',
    'ticket.cancelled': 'Ce ticket est annulé.',
    'ticket.dayEnded': 'La journée est terminée et ce ticket a été clôturé.',
    'ticket.lineClosed': 'La file a été fermée pour aujourd’hui et ce ticket a été annulé.',
    'ticket.cancelledByHost': 'Ce ticket a été annulé par le personnel.',
    'ticket.newTicket': 'Prendre un nouveau ticket',
    'ticket.keepOpen': 'Gardez cette page ouverte. Elle se met à jour toute seule.',
    'ticket.cancel': 'Quitter la file',
    'ticket.cancelConfirm': 'Quitter la file ? Vous perdrez votre place.',
    'ticket.cancelYes': 'Oui, quitter la file',
    'ticket.cancelNo': 'Non, garder ma place',
    'ticket.cancelling': 'Annulation…',
    'ticket.notFoundTitle': 'Ticket introuvable',
    'ticket.notFoundBody': 'Le lien est peut-être erroné, ou le ticket date d’un jour précédent. Adressez-vous au guichet si besoin.',
    'ticket.announce': 'Ticket {number} : {status}.',
    'ticket.announceAhead': 'Ticket {number} : {status}, {ahead}.',
    'ticket.announceNobodyAhead': 'Ticket {number} : {status}, personne avant vous.',
    'ticket.announceCalled': 'Ticket {number} : c’est votre tour, guichet {counter}.',
    'join.title': 'Prendre place dans la file',
    'join.nowServing': 'Numéro appelé',
    'join.waiting_one': '{count} personne attend',
    'join.waiting_many': '{count} de personnes attendent',
    'join.waiting_other': '{count} personnes attendent',
    'join.nobodyWaiting': 'Personne n’attend',
    'join.eta': 'Si vous prenez un ticket maintenant : environ {minutes} min',
    'join.etaNone': 'Si vous prenez un ticket maintenant : pas d’attente prévue',
    'join.take': 'Prendre un ticket',
    'join.taking': 'Création du ticket…',
    'join.paused': 'Cette file est en pause pour un moment.',
    'join.pausedBack': 'Reprise dans environ {minutes} min.',
    'join.closed': 'Cette file est fermée pour le moment.',
    'join.closedBody': 'Aucun nouveau ticket n’est distribué. Adressez-vous au guichet.',
    'join.notFoundTitle': 'File introuvable',
    'join.notFoundBody': 'Scannez à nouveau le QR code de l’affiche, ou adressez-vous au guichet.',
    'error.offline': 'Pas de connexion à la file. Vérifiez votre Wi-Fi et réessayez.',
    'error.rate_limited': 'Trop de tentatives. Patientez une minute, puis réessayez.',
    'error.queue_paused': 'Cette file est en pause pour un moment. Réessayez d’ici peu.',
    'error.queue_closed': 'Cette file est fermée et ne distribue plus de tickets.',
    'error.queue_full': 'Cette file est pleine pour le moment. Réessayez quand elle aura avancé.',
    'error.too_many_tickets': 'Ce téléphone ou ce réseau a déjà autant de tickets pour cette file qu’un visiteur peut en avoir. Réessayez quand l’un d’eux aura été servi.',
    'error.illegal_transition': 'Ce n’est plus possible : votre ticket a déjà avancé.',
    'error.generic': 'Une erreur s’est produite. Veuillez réessayer.',
    'error.storage_disk_full': 'Le boîtier ne peut rien enregistrer pour l’instant : aucun ticket n’a été créé. Adressez-vous au personnel.',
    'error.storage_read_only': 'Le boîtier ne peut rien enregistrer pour l’instant : aucun ticket n’a été créé. Adressez-vous au personnel.',
    'error.storage_io_error': 'Le boîtier ne peut rien enregistrer pour l’instant : aucun ticket n’a été créé. Adressez-vous au personnel.',
    'error.storage_busy': 'Le boîtier est occupé. Réessayez dans un instant.',
  },

  es: {
    'app.name': 'Qode',
    'app.loading': 'Cargando…',
    'app.failedTitle': 'No se ha podido mostrar esta página',
    'app.failedBody': 'Puede que se haya perdido la conexión con la fila. La página vuelve a intentarlo sola en cuanto el equipo responda.',
    'app.retry': 'Reintentar ahora',
    'language.label': 'Idioma',
    'staffHttps.moving': 'Abriendo esta página en la dirección segura (https) del equipo…',
    'staffHttps.blockedTitle': 'Esta página necesita la dirección segura del equipo',
    'staffHttps.blockedBody': 'El equipo no acepta enlaces del personal por http sin cifrar, donde cualquiera en la red wifi podría leerlos, y todavía no tiene una dirección segura (https). Vuelva a ejecutar el instalador en el equipo (sudo ./install.sh), que la configura.',
    'connection.connecting': 'Conectando…',
    'connection.reconnecting': 'Reconectando…',
    'connection.offline': 'Sin red. Reconectando…',
    'connection.lastUpdate': 'Datos actualizados a las {time}.',
    'notFound.title': 'Página no encontrada',
    'notFound.body': 'Esta dirección no lleva a ninguna parte. Vuelva a escanear el código QR de su turno o del cartel.',
    'ticket.title': 'Su turno',
    'ticket.number': 'Número de turno',
    'ticket.status.WAITING': 'En espera',
    'ticket.status.CALLED': 'Le toca a usted',
    'ticket.status.SERVING': 'En atención',
    'ticket.status.COMPLETED': 'Atendido',
    'ticket.status.NO_SHOW': 'No presentado',
    'ticket.status.CANCELLED': 'Cancelado',
    'ticket.peopleAhead_one': '{count} persona delante de usted',
    'ticket.peopleAhead_many': '{count} de personas delante de usted',
    'ticket.peopleAhead_other': '{count} personas delante de usted',
    'ticket.nobodyAhead': 'Nadie delante de usted',
    'ticket.eta': 'unos {minutes} min',
    'ticket.etaLabel': 'Espera estimada',
    'ticket.next': 'Su turno es el siguiente',
    'ticket.nowServing': 'Atendiendo ahora',
    'ticket.nobodyServed': 'Nadie todavía',
    'ticket.calledTitle': 'Le toca a usted',
    'ticket.calledCounter': 'Mostrador {counter}',
    'ticket.calledAnyCounter': 'Acérquese al mostrador, por favor',
    'ticket.calledDismiss': 'De acuerdo, voy',
    'ticket.serving': 'Le están atendiendo en el mostrador {counter}.',
    'ticket.servingAnyCounter': 'Le están atendiendo.',
    'ticket.completed': 'Gracias por su visita.',
    'ticket.noShow': 'Se llamó a su turno, pero no se presentó. Pregunte en el mostrador, por favor.',
    'ticket.cancelled': 'Este turno está cancelado.',
    'ticket.dayEnded': 'La jornada ha terminado y este turno se ha cerrado.',
    'ticket.lineClosed': 'La fila se ha cerrado por hoy y este turno se ha cancelado.',
    'ticket.cancelledByHost': 'El personal ha cancelado este turno.',
    'ticket.newTicket': 'Sacar un turno nuevo',
    'ticket.keepOpen': 'Mantenga esta página abierta. Se actualiza sola.',
    'ticket.cancel': 'Salir de la fila',
    'ticket.cancelConfirm': '¿Salir de la fila? Perderá su lugar.',
    'ticket.cancelYes': 'Sí, salir de la fila',
    'ticket.cancelNo': 'No, mantener mi lugar',
    'ticket.cancelling': 'Saliendo…',
    'ticket.notFoundTitle': 'No encontramos este turno',
    'ticket.notFoundBody': 'Puede que el enlace sea incorrecto o que el turno sea de otro día. Si necesita ayuda, pregunte en el mostrador.',
    'ticket.announce': 'Turno {number}: {status}.',
    'ticket.announceAhead': 'Turno {number}: {status}, {ahead}.',
    'ticket.announceNobodyAhead': 'Turno {number}: {status}, nadie delante de usted.',
    'ticket.announceCalled': 'Turno {number}: le toca a usted, mostrador {counter}.',
    'join.title': 'Ponerse en la fila',
    'join.nowServing': 'Atendiendo ahora',
    'join.waiting_one': '{count} persona esperando',
    'join.waiting_many': '{count} de personas esperando',
    'join.waiting_other': '{count} personas esperando',
    'join.nobodyWaiting': 'No hay nadie esperando',
    'join.eta': 'Si saca turno ahora: unos {minutes} min',
    'join.etaNone': 'Si saca turno ahora: sin espera prevista',
    'join.take': 'Sacar turno',
    'join.taking': 'Sacando turno…',
    'join.paused': 'Esta fila está en pausa por un momento.',
    'join.pausedBack': 'Se reanuda en unos {minutes} min.',
    'join.closed': 'Esta fila está cerrada en este momento.',
    'join.closedBody': 'No se están dando turnos nuevos. Pregunte en el mostrador, por favor.',
    'join.notFoundTitle': 'No encontramos esta fila',
    'join.notFoundBody': 'Vuelva a escanear el código QR del cartel o pregunte en el mostrador.',
    'error.offline': 'Sin conexión con la fila. Compruebe su wifi e inténtelo de nuevo.',
    'error.rate_limited': 'Demasiados intentos. Espere un minuto y vuelva a intentarlo.',
    'error.queue_paused': 'Esta fila está en pausa por un momento. Inténtelo de nuevo en breve.',
    'error.queue_closed': 'Esta fila está cerrada y no da turnos nuevos.',
    'error.queue_full': 'Esta fila está llena ahora mismo. Inténtelo de nuevo cuando haya avanzado.',
    'error.too_many_tickets': 'Este teléfono o esta red ya tiene tantos turnos para esta fila como puede tener una persona. Inténtelo de nuevo cuando hayan atendido uno de ellos.',
    'error.illegal_transition': 'Eso ya no es posible: su turno ya ha avanzado.',
    'error.generic': 'Algo ha salido mal. Inténtelo de nuevo, por favor.',
    'error.storage_disk_full': 'El equipo no puede guardar ahora mismo, así que no se ha creado ningún turno. Pregunte al personal, por favor.',
    'error.storage_read_only': 'El equipo no puede guardar ahora mismo, así que no se ha creado ningún turno. Pregunte al personal, por favor.',
    'error.storage_io_error': 'El equipo no puede guardar ahora mismo, así que no se ha creado ningún turno. Pregunte al personal, por favor.',
    'error.storage_busy': 'El equipo está ocupado. Inténtelo de nuevo en un momento.',
  },

  tr: {
    'app.name': 'Qode',
    'app.loading': 'Yükleniyor…',
    'app.failedTitle': 'Bu sayfa gösterilemedi',
    'app.failedBody': 'Sıra sistemiyle bağlantı kopmuş olabilir. Cihaz yanıt verir vermez sayfa kendiliğinden yeniden dener.',
    'app.retry': 'Şimdi yeniden dene',
    'language.label': 'Dil',
    'staffHttps.moving': 'Bu sayfa cihazın güvenli (https) adresinde açılıyor…',
    'staffHttps.blockedTitle': 'Bu sayfa için cihazın güvenli adresi gerekiyor',
    'staffHttps.blockedBody': 'Cihaz, personel bağlantılarını Wi-Fi’deki herkesin okuyabileceği şifresiz http üzerinden kabul etmiyor ve henüz güvenli (https) bir adresi yok. Cihazda kurulum programını yeniden çalıştırın (sudo ./install.sh); güvenli adresi o ayarlar.',
    'connection.connecting': 'Bağlanıyor…',
    'connection.reconnecting': 'Yeniden bağlanıyor…',
    'connection.offline': 'Ağ yok. Yeniden bağlanıyor…',
    'connection.lastUpdate': 'Saat {time} itibarıyla bilinen durum gösteriliyor.',
    'notFound.title': 'Sayfa bulunamadı',
    'notFound.body': 'Bu adres hiçbir yere götürmüyor. Sıra fişinizdeki veya afişteki QR kodu yeniden okutun.',
    'ticket.title': 'Sıra numaranız',
    'ticket.number': 'Sıra numarası',
    'ticket.status.WAITING': 'Bekliyor',
    'ticket.status.CALLED': 'Sıra sizde',
    'ticket.status.SERVING': 'Hizmet veriliyor',
    'ticket.status.COMPLETED': 'Tamamlandı',
    'ticket.status.NO_SHOW': 'Kaçırıldı',
    'ticket.status.CANCELLED': 'İptal edildi',
    'ticket.peopleAhead_one': 'Önünüzde {count} kişi var',
    'ticket.peopleAhead_other': 'Önünüzde {count} kişi var',
    'ticket.nobodyAhead': 'Önünüzde kimse yok',
    'ticket.eta': 'yaklaşık {minutes} dk',
    'ticket.etaLabel': 'Tahmini bekleme',
    'ticket.next': 'Sıradaki sizsiniz',
    'ticket.nowServing': 'Şu an çağrılan',
    'ticket.nobodyServed': 'Henüz kimse yok',
    'ticket.calledTitle': 'Sıra sizde',
    'ticket.calledCounter': 'Gişe {counter}',
    'ticket.calledAnyCounter': 'Lütfen gişeye gelin',
    'ticket.calledDismiss': 'Tamam, geliyorum',
    'ticket.serving': 'Size hizmet veriliyor: gişe {counter}.',
    'ticket.servingAnyCounter': 'Size hizmet veriliyor.',
    'ticket.completed': 'Ziyaretiniz için teşekkür ederiz.',
    'ticket.noShow': 'Numaranız çağrıldı ama sıranızı kaçırdınız. Lütfen gişeye danışın.',
    'ticket.cancelled': 'Bu sıra numarası iptal edildi.',
    'ticket.dayEnded': 'Gün sona erdi ve bu sıra numarası kapandı.',
    'ticket.lineClosed': 'Sıra bugün için kapatıldı ve bu sıra numarası iptal edildi.',
    'ticket.cancelledByHost': 'Bu sıra numarası personel tarafından iptal edildi.',
    'ticket.newTicket': 'Yeni sıra numarası al',
    'ticket.keepOpen': 'Bu sayfayı açık tutun. Kendiliğinden güncellenir.',
    'ticket.cancel': 'Sıradan çık',
    'ticket.cancelConfirm': 'Sıradan çıkılsın mı? Yerinizi kaybedersiniz.',
    'ticket.cancelYes': 'Evet, sıradan çık',
    'ticket.cancelNo': 'Hayır, yerimi koru',
    'ticket.cancelling': 'Sıradan çıkılıyor…',
    'ticket.notFoundTitle': 'Bu sıra numarasını bulamıyoruz',
    'ticket.notFoundBody': 'Bağlantı yanlış olabilir ya da sıra numarası önceki bir güne ait. Yardım gerekirse gişeye danışın.',
    'ticket.announce': 'Sıra numarası {number}: {status}.',
    'ticket.announceAhead': 'Sıra numarası {number}: {status}, {ahead}.',
    'ticket.announceNobodyAhead': 'Sıra numarası {number}: {status}, önünüzde kimse yok.',
    'ticket.announceCalled': 'Sıra numarası {number}: sıra sizde, gişe {counter}.',
    'join.title': 'Sıraya girin',
    'join.nowServing': 'Şu an çağrılan',
    'join.waiting_one': '{count} kişi bekliyor',
    'join.waiting_other': '{count} kişi bekliyor',
    'join.nobodyWaiting': 'Bekleyen kimse yok',
    'join.eta': 'Şimdi sıra alırsanız: yaklaşık {minutes} dk',
    'join.etaNone': 'Şimdi sıra alırsanız: bekleme süresi öngörülmüyor',
    'join.take': 'Sıra numarası al',
    'join.taking': 'Sıra numarası alınıyor…',
    'join.paused': 'Bu sıra kısa bir süre için duraklatıldı.',
    'join.pausedBack': 'Yaklaşık {minutes} dk sonra devam edecek.',
    'join.closed': 'Bu sıra şu anda kapalı.',
    'join.closedBody': 'Yeni sıra numarası verilmiyor. Lütfen gişeye danışın.',
    'join.notFoundTitle': 'Bu sırayı bulamıyoruz',
    'join.notFoundBody': 'Afişteki QR kodu yeniden okutun ya da gişeye danışın.',
    'error.offline': 'Sıra sistemiyle bağlantı yok. Wi-Fi bağlantınızı kontrol edip yeniden deneyin.',
    'error.rate_limited': 'Çok fazla deneme yapıldı. Lütfen bir dakika bekleyip yeniden deneyin.',
    'error.queue_paused': 'Bu sıra kısa bir süre için duraklatıldı. Lütfen birazdan yeniden deneyin.',
    'error.queue_closed': 'Bu sıra kapalı, yeni sıra numarası vermiyor.',
    'error.queue_full': 'Bu sıra şu anda dolu. Lütfen sıra ilerleyince yeniden deneyin.',
    'error.too_many_tickets': 'Bu telefonun veya ağın bu sıra için bir kişinin alabileceği kadar sıra numarası zaten var. Bunlardan birine hizmet verildikten sonra yeniden deneyin.',
    'error.illegal_transition': 'Bu artık mümkün değil: sıra numaranızın durumu değişti.',
    'error.generic': 'Bir sorun oluştu. Lütfen yeniden deneyin.',
    'error.storage_disk_full': 'Cihaz şu anda kayıt yapamıyor, bu yüzden sıra numarası oluşturulmadı. Lütfen personele danışın.',
    'error.storage_read_only': 'Cihaz şu anda kayıt yapamıyor, bu yüzden sıra numarası oluşturulmadı. Lütfen personele danışın.',
    'error.storage_io_error': 'Cihaz şu anda kayıt yapamıyor, bu yüzden sıra numarası oluşturulmadı. Lütfen personele danışın.',
    'error.storage_busy': 'Cihaz meşgul. Lütfen birazdan yeniden deneyin.',
  },
}

export const strings = Object.fromEntries(Object.keys(base).map((lang) => [lang, { ...base[lang] }]))

export const FALLBACK = 'en'

/** Languages written right to left; the page's `dir` follows the language. */
const RIGHT_TO_LEFT = new Set(['ar', 'he', 'fa', 'ur'])

/** Adds a page group's strings ({lang: {key: text}}) to the dictionary; only known languages. */
export function addStrings(tables) {
  for (const [lang, table] of Object.entries(tables)) {
    if (strings[lang]) Object.assign(strings[lang], table)
  }
}

/** 'rtl' for a right-to-left language, else 'ltr'. */
export function getDirection(lang = current) {
  return RIGHT_TO_LEFT.has(lang) ? 'rtl' : 'ltr'
}

const pluralRules = new Map()

/** The CLDR plural category ('one', 'few', 'many', 'other', …) of `count` in `lang`. */
export function pluralCategory(lang, count) {
  if (!pluralRules.has(lang)) pluralRules.set(lang, new Intl.PluralRules(lang))
  return pluralRules.get(lang).select(count)
}

/** The first supported language in the browser's preference list, else English. */
export function pickLanguage(preferred) {
  let list = preferred
  if (list === undefined && typeof navigator !== 'undefined') {
    list = navigator.languages?.length ? navigator.languages : [navigator.language]
  }
  for (const tag of list ?? []) {
    const primary = String(tag ?? '').toLowerCase().split(/[-_]/)[0]
    if (Object.hasOwn(strings, primary)) return primary
  }
  return FALLBACK
}

let current = pickLanguage()

export function getLanguage() {
  return current
}

/** Switch the language (tests, or a later language picker); unknown ones fall back to English. */
export function setLanguage(lang) {
  current = Object.hasOwn(strings, lang) ? lang : FALLBACK
  return current
}

function lookup(lang, key) {
  return strings[lang]?.[key] ?? strings[FALLBACK][key]
}

function lookupPlural(lang, key, count) {
  const own = strings[lang]
  const variant = own?.[`${key}_${pluralCategory(lang, count)}`] ?? own?.[`${key}_other`]
  if (variant !== undefined) return variant
  const english = strings[FALLBACK]
  return english[`${key}_${pluralCategory(FALLBACK, count)}`] ?? english[`${key}_other`]
}

/** The string for `key` in the current language, with `{param}` filled in. */
export function t(key, params) {
  let template
  if (params && typeof params.count === 'number') {
    template = lookupPlural(current, key, params.count)
  }
  template ??= lookup(current, key) ?? key
  if (!params) return template
  return template.replace(/\{(\w+)\}/g, (match, name) =>
    Object.hasOwn(params, name) ? String(params[name]) : match,
  )
}

/** A server error code as a sentence in the current language, or the server's own text. */
export function errorText(error) {
  const code = error?.code
  if (code && lookup(current, `error.${code}`)) return t(`error.${code}`)
  return error?.message || t('error.generic')
}
