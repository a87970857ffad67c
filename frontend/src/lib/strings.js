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
    'staffHttps.moving': 'Diese Seite wird unter der sicheren (https-)Adresse der Box geöffnet…',
    'staffHttps.blockedTitle': 'Diese Seite braucht die sichere Adresse der Box',
    'staffHttps.blockedBody': 'Die Box nimmt Links für das Personal nicht über unverschlüsseltes http an, wo jeder im WLAN mitlesen könnte, und sie hat noch keine sichere (https-)Adresse. Führen Sie das Installationsprogramm auf der Box erneut aus (sudo ./install.sh), es richtet sie ein.',

    'connection.connecting': 'Verbinde…',
    'connection.reconnecting': 'Verbindung wird wiederhergestellt…',
    'connection.offline': 'Kein Netz. Verbindung wird wiederhergestellt…',
    'connection.lastUpdate': 'Stand von {time}.',

    'notFound.title': 'Seite nicht gefunden',
    'notFound.body': 'Diese Adresse führt nirgendwohin. Scannen Sie den QR-Code auf Ihrem Ticket oder auf dem Aushang noch einmal.',

    'ticket.title': 'Ihr Ticket',
    'ticket.number': 'Ticketnummer',
    'ticket.status.WAITING': 'Wartend',
    'ticket.status.CALLED': 'Sie sind dran',
    'ticket.status.SERVING': 'In Bearbeitung',
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
    'error.rate_limited': 'Zu viele Versuche. Bitte warten Sie eine Minute.',
    'error.queue_paused': 'Diese Warteschlange ist kurz pausiert. Bitte versuchen Sie es gleich noch einmal.',
    'error.queue_closed': 'Diese Warteschlange ist geschlossen und gibt keine neuen Tickets aus.',
    'error.queue_full': 'Diese Warteschlange ist gerade voll. Bitte versuchen Sie es erneut, wenn sie weitergegangen ist.',
    'error.too_many_tickets': 'Dieses Telefon oder Netz hat schon so viele Tickets für diese Warteschlange, wie ein Gast haben darf. Versuchen Sie es erneut, sobald eines davon bedient wurde.',
    'error.illegal_transition': 'Das geht nicht mehr: Ihr Ticket ist schon weiter.',
    'error.generic': 'Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.',
    'error.storage_disk_full': 'Die Box kann gerade nicht speichern, daher wurde kein Ticket erstellt. Bitte fragen Sie das Personal.',
    'error.storage_read_only': 'Die Box kann gerade nicht speichern, daher wurde kein Ticket erstellt. Bitte fragen Sie das Personal.',
    'error.storage_io_error': 'Die Box kann gerade nicht speichern, daher wurde kein Ticket erstellt. Bitte fragen Sie das Personal.',
    'error.storage_busy': 'Die Box ist beschäftigt. Bitte versuchen Sie es gleich noch einmal.',
  },

  pl: {
    'app.name': 'Qode',
    'app.loading': 'Ładowanie…',
    'app.failedTitle': 'Nie udało się wyświetlić tej strony',
    'app.failedBody': 'Połączenie z kolejką mogło zostać przerwane. Strona sama spróbuje ponownie, gdy tylko urządzenie odpowie.',
    'app.retry': 'Spróbuj teraz ponownie',
    'staffHttps.moving': 'Otwieranie tej strony pod bezpiecznym adresem (https) urządzenia…',
    'staffHttps.blockedTitle': 'Ta strona wymaga bezpiecznego adresu urządzenia',
    'staffHttps.blockedBody': 'Urządzenie nie przyjmuje linków dla personelu przez zwykłe http, gdzie każdy w sieci Wi-Fi mógłby je podsłuchać, a nie ma jeszcze bezpiecznego adresu (https). Uruchom ponownie instalator na urządzeniu (sudo ./install.sh), który go skonfiguruje.',

    'connection.connecting': 'Łączenie…',
    'connection.reconnecting': 'Ponowne łączenie…',
    'connection.offline': 'Brak sieci. Ponowne łączenie…',
    'connection.lastUpdate': 'Stan z godziny {time}.',

    'notFound.title': 'Nie znaleziono strony',
    'notFound.body': 'Ten adres nigdzie nie prowadzi. Zeskanuj ponownie kod QR z biletu lub z plakatu.',

    'ticket.title': 'Twój bilet',
    'ticket.number': 'Numer biletu',
    'ticket.status.WAITING': 'Oczekuje',
    'ticket.status.CALLED': 'Twoja kolej',
    'ticket.status.SERVING': 'Obsługa w toku',
    'ticket.status.COMPLETED': 'Zakończono',
    'ticket.status.NO_SHOW': 'Pominięto',
    'ticket.status.CANCELLED': 'Anulowano',
    'ticket.peopleAhead_one': '{count} osoba przed Tobą',
    'ticket.peopleAhead_few': '{count} osoby przed Tobą',
    'ticket.peopleAhead_many': '{count} osób przed Tobą',
    'ticket.peopleAhead_other': '{count} osoby przed Tobą',
    'ticket.nobodyAhead': 'Nikogo przed Tobą',
    'ticket.eta': 'około {minutes} min',
    'ticket.etaLabel': 'Szacowany czas oczekiwania',
    'ticket.next': 'Za chwilę Twoja kolej',
    'ticket.nowServing': 'Teraz obsługiwany',
    'ticket.nobodyServed': 'Jeszcze nikt',
    'ticket.calledTitle': 'Twoja kolej',
    'ticket.calledCounter': 'Stanowisko {counter}',
    'ticket.calledAnyCounter': 'Prosimy podejść do stanowiska',
    'ticket.calledDismiss': 'OK, już idę',
    'ticket.serving': 'Trwa Twoja obsługa przy stanowisku {counter}.',
    'ticket.servingAnyCounter': 'Trwa Twoja obsługa.',
    'ticket.completed': 'Dziękujemy za wizytę.',
    'ticket.noShow': 'Twój numer został wywołany, ale Twoja kolej minęła. Zapytaj przy stanowisku obsługi.',
    'ticket.cancelled': 'Ten bilet został anulowany.',
    'ticket.dayEnded': 'Dzień się zakończył i ten bilet stracił ważność.',
    'ticket.lineClosed': 'Kolejka została zamknięta na dziś, a ten bilet anulowany.',
    'ticket.cancelledByHost': 'Ten bilet został anulowany przez obsługę.',
    'ticket.newTicket': 'Pobierz nowy bilet',
    'ticket.keepOpen': 'Nie zamykaj tej strony. Aktualizuje się sama.',
    'ticket.cancel': 'Opuść kolejkę',
    'ticket.cancelConfirm': 'Opuścić kolejkę? Stracisz swoje miejsce.',
    'ticket.cancelYes': 'Tak, opuść kolejkę',
    'ticket.cancelNo': 'Nie, zachowaj miejsce',
    'ticket.cancelling': 'Opuszczanie…',
    'ticket.notFoundTitle': 'Nie możemy znaleźć tego biletu',
    'ticket.notFoundBody': 'Link może być błędny albo bilet pochodzi z wcześniejszego dnia. W razie potrzeby zapytaj przy stanowisku obsługi.',
    'ticket.announce': 'Bilet {number}: {status}.',
    'ticket.announceAhead': 'Bilet {number}: {status}, {ahead}.',
    'ticket.announceNobodyAhead': 'Bilet {number}: {status}, nikogo przed Tobą.',
    'ticket.announceCalled': 'Bilet {number}: Twoja kolej, stanowisko {counter}.',

    'join.title': 'Dołącz do kolejki',
    'join.nowServing': 'Teraz obsługiwany',
    'join.waiting_one': '{count} osoba czeka',
    'join.waiting_few': '{count} osoby czekają',
    'join.waiting_many': '{count} osób czeka',
    'join.waiting_other': '{count} osoby czeka',
    'join.eta': 'Jeśli dołączysz teraz: około {minutes} min',
    'join.etaNone': 'Jeśli dołączysz teraz: bez czekania',
    'join.take': 'Pobierz bilet',
    'join.taking': 'Pobieranie biletu…',
    'join.paused': 'Ta kolejka jest chwilowo wstrzymana.',
    'join.pausedBack': 'Wznowienie za około {minutes} min.',
    'join.closed': 'Ta kolejka jest teraz zamknięta.',
    'join.closedBody': 'Nowe bilety nie są wydawane. Zapytaj przy stanowisku obsługi.',
    'join.notFoundTitle': 'Nie możemy znaleźć tej kolejki',
    'join.notFoundBody': 'Zeskanuj ponownie kod QR z plakatu albo zapytaj przy stanowisku obsługi.',

    'error.offline': 'Brak połączenia z kolejką. Sprawdź Wi-Fi i spróbuj ponownie.',
    'error.rate_limited': 'Zbyt wiele prób. Odczekaj minutę i spróbuj ponownie.',
    'error.queue_paused': 'Ta kolejka jest chwilowo wstrzymana. Spróbuj ponownie za chwilę.',
    'error.queue_closed': 'Ta kolejka jest zamknięta i nie wydaje nowych biletów.',
    'error.queue_full': 'Ta kolejka jest teraz pełna. Spróbuj ponownie, gdy się przesunie.',
    'error.too_many_tickets': 'Ten telefon lub ta sieć ma już tyle biletów do tej kolejki, ile może mieć jeden gość. Spróbuj ponownie, gdy jeden z nich zostanie obsłużony.',
    'error.illegal_transition': 'To już nie jest możliwe: Twój bilet jest już dalej.',
    'error.generic': 'Coś poszło nie tak. Spróbuj ponownie.',
    'error.storage_disk_full': 'Urządzenie nie może teraz zapisywać, więc bilet nie został utworzony. Zapytaj obsługę.',
    'error.storage_read_only': 'Urządzenie nie może teraz zapisywać, więc bilet nie został utworzony. Zapytaj obsługę.',
    'error.storage_io_error': 'Urządzenie nie może teraz zapisywać, więc bilet nie został utworzony. Zapytaj obsługę.',
    'error.storage_busy': 'Urządzenie jest zajęte. Spróbuj ponownie za chwilę.',
  },
  uk: {
    'app.name': 'Qode',
    'app.loading': 'Завантаження…',
    'app.failedTitle': 'Не вдалося показати цю сторінку',
    'app.failedBody': 'Можливо, з’єднання з чергою перервалося. Сторінка сама спробує ще раз, щойно пристрій відповість.',
    'app.retry': 'Спробувати зараз',
    'staffHttps.moving': 'Відкриваємо цю сторінку за захищеною адресою (https) пристрою…',
    'staffHttps.blockedTitle': 'Цій сторінці потрібна захищена адреса пристрою',
    'staffHttps.blockedBody': 'Пристрій не приймає посилання для персоналу через звичайний http, де будь-хто в мережі Wi-Fi може їх перехопити, а захищеної адреси (https) у нього ще немає. Запустіть інсталятор на пристрої ще раз (sudo ./install.sh), він її налаштує.',

    'connection.connecting': 'З’єднання…',
    'connection.reconnecting': 'Повторне з’єднання…',
    'connection.offline': 'Немає мережі. Повторне з’єднання…',
    'connection.lastUpdate': 'Дані станом на {time}.',

    'notFound.title': 'Сторінку не знайдено',
    'notFound.body': 'Ця адреса нікуди не веде. Відскануйте QR-код на Вашому талоні або на плакаті ще раз.',

    'ticket.title': 'Ваш талон',
    'ticket.number': 'Номер талона',
    'ticket.status.WAITING': 'Очікує',
    'ticket.status.CALLED': 'Ваша черга',
    'ticket.status.SERVING': 'Обслуговується',
    'ticket.status.COMPLETED': 'Завершено',
    'ticket.status.NO_SHOW': 'Пропущено',
    'ticket.status.CANCELLED': 'Скасовано',
    'ticket.peopleAhead_one': '{count} людина перед Вами',
    'ticket.peopleAhead_few': '{count} людини перед Вами',
    'ticket.peopleAhead_many': '{count} людей перед Вами',
    'ticket.peopleAhead_other': '{count} людини перед Вами',
    'ticket.nobodyAhead': 'Перед Вами нікого немає',
    'ticket.eta': 'приблизно {minutes} хв',
    'ticket.etaLabel': 'Орієнтовний час очікування',
    'ticket.next': 'Ви наступні',
    'ticket.nowServing': 'Зараз обслуговується',
    'ticket.nobodyServed': 'Поки нікого',
    'ticket.calledTitle': 'Ваша черга',
    'ticket.calledCounter': 'Віконце {counter}',
    'ticket.calledAnyCounter': 'Будь ласка, підійдіть до стійки',
    'ticket.calledDismiss': 'Добре, іду',
    'ticket.serving': 'Вас обслуговують біля віконця {counter}.',
    'ticket.servingAnyCounter': 'Вас обслуговують.',
    'ticket.completed': 'Дякуємо за візит.',
    'ticket.noShow': 'Вас викликали, але Ви пропустили свою чергу. Будь ласка, зверніться до стійки.',
    'ticket.cancelled': 'Цей талон скасовано.',
    'ticket.dayEnded': 'День завершився, і цей талон закрито.',
    'ticket.lineClosed': 'Чергу на сьогодні закрито, а цей талон скасовано.',
    'ticket.cancelledByHost': 'Цей талон скасував персонал.',
    'ticket.newTicket': 'Взяти новий талон',
    'ticket.keepOpen': 'Не закривайте цю сторінку. Вона оновлюється сама.',
    'ticket.cancel': 'Вийти з черги',
    'ticket.cancelConfirm': 'Вийти з черги? Ви втратите своє місце.',
    'ticket.cancelYes': 'Так, вийти з черги',
    'ticket.cancelNo': 'Ні, зберегти місце',
    'ticket.cancelling': 'Виходимо з черги…',
    'ticket.notFoundTitle': 'Не вдається знайти цей талон',
    'ticket.notFoundBody': 'Можливо, посилання неправильне або талон з іншого дня. Якщо потрібна допомога, зверніться до стійки.',
    'ticket.announce': 'Талон {number}: {status}.',
    'ticket.announceAhead': 'Талон {number}: {status}, {ahead}.',
    'ticket.announceNobodyAhead': 'Талон {number}: {status}, перед Вами нікого немає.',
    'ticket.announceCalled': 'Талон {number}: Ваша черга, віконце {counter}.',

    'join.title': 'Стати в чергу',
    'join.nowServing': 'Зараз обслуговується',
    'join.waiting_one': '{count} людина чекає',
    'join.waiting_few': '{count} людини чекають',
    'join.waiting_many': '{count} людей чекають',
    'join.waiting_other': '{count} людини чекають',
    'join.eta': 'Якщо стати в чергу зараз: приблизно {minutes} хв',
    'join.etaNone': 'Якщо стати в чергу зараз: без очікування',
    'join.take': 'Взяти талон',
    'join.taking': 'Беремо талон…',
    'join.paused': 'Цю чергу ненадовго призупинено.',
    'join.pausedBack': 'Продовжимо приблизно за {minutes} хв.',
    'join.closed': 'Ця черга зараз закрита.',
    'join.closedBody': 'Нові талони не видаються. Будь ласка, зверніться до стійки.',
    'join.notFoundTitle': 'Не вдається знайти цю чергу',
    'join.notFoundBody': 'Відскануйте QR-код на плакаті ще раз або зверніться до стійки.',

    'error.offline': 'Немає з’єднання з чергою. Перевірте Wi-Fi і спробуйте ще раз.',
    'error.rate_limited': 'Забагато спроб. Зачекайте хвилину і спробуйте ще раз.',
    'error.queue_paused': 'Цю чергу ненадовго призупинено. Спробуйте ще раз трохи згодом.',
    'error.queue_closed': 'Ця черга закрита і не видає нових талонів.',
    'error.queue_full': 'Ця черга зараз заповнена. Спробуйте ще раз, коли вона просунеться.',
    'error.too_many_tickets': 'Цей телефон або мережа вже має стільки талонів до цієї черги, скільки дозволено одному відвідувачу. Спробуйте ще раз, коли один із них обслужать.',
    'error.illegal_transition': 'Це вже неможливо: Ваш талон уже просунувся далі.',
    'error.generic': 'Щось пішло не так. Спробуйте ще раз.',
    'error.storage_disk_full': 'Пристрій зараз не може зберігати дані, тому талон не створено. Будь ласка, зверніться до персоналу.',
    'error.storage_read_only': 'Пристрій зараз не може зберігати дані, тому талон не створено. Будь ласка, зверніться до персоналу.',
    'error.storage_io_error': 'Пристрій зараз не може зберігати дані, тому талон не створено. Будь ласка, зверніться до персоналу.',
    'error.storage_busy': 'Пристрій зайнятий. Спробуйте ще раз за мить.',
  },
  ar: {
    'app.name': 'Qode',
    'app.loading': 'جارٍ التحميل…',
    'app.failedTitle': 'تعذّر عرض هذه الصفحة',
    'app.failedBody': 'ربما انقطع الاتصال بالطابور. ستحاول الصفحة من جديد تلقائيًا فور استجابة الجهاز.',
    'app.retry': 'حاول مرة أخرى الآن',
    'staffHttps.moving': 'جارٍ فتح هذه الصفحة على العنوان الآمن (https) للجهاز…',
    'staffHttps.blockedTitle': 'تحتاج هذه الصفحة إلى العنوان الآمن للجهاز',
    'staffHttps.blockedBody': 'لا يقبل الجهاز روابط الموظفين عبر http العادي، حيث يمكن لأي شخص على شبكة Wi-Fi التنصّت عليها، وليس له عنوان آمن (https) بعد. شغّل برنامج التثبيت على الجهاز مرة أخرى (sudo ./install.sh) ليُعِدّه.',

    'connection.connecting': 'جارٍ الاتصال…',
    'connection.reconnecting': 'جارٍ إعادة الاتصال…',
    'connection.offline': 'لا توجد شبكة. جارٍ إعادة الاتصال…',
    'connection.lastUpdate': 'المعروض هو آخر ما عرفناه عند {time}.',

    'notFound.title': 'الصفحة غير موجودة',
    'notFound.body': 'هذا العنوان لا يؤدي إلى أي مكان. امسح رمز QR الموجود على تذكرتك أو على الملصق مرة أخرى.',

    'ticket.title': 'تذكرتك',
    'ticket.number': 'رقم التذكرة',
    'ticket.status.WAITING': 'في الانتظار',
    'ticket.status.CALLED': 'حان دورك',
    'ticket.status.SERVING': 'تجري خدمتك',
    'ticket.status.COMPLETED': 'تمّت',
    'ticket.status.NO_SHOW': 'فاتك الدور',
    'ticket.status.CANCELLED': 'ملغاة',
    'ticket.peopleAhead_zero': 'لا أحد أمامك',
    'ticket.peopleAhead_one': 'شخص واحد أمامك',
    'ticket.peopleAhead_two': 'شخصان أمامك',
    'ticket.peopleAhead_few': '{count} أشخاص أمامك',
    'ticket.peopleAhead_many': '{count} شخصًا أمامك',
    'ticket.peopleAhead_other': '{count} شخص أمامك',
    'ticket.nobodyAhead': 'لا أحد أمامك',
    'ticket.eta': 'حوالي {minutes} دقيقة',
    'ticket.etaLabel': 'مدة الانتظار المتوقعة',
    'ticket.next': 'أنت التالي',
    'ticket.nowServing': 'يُخدم الآن',
    'ticket.nobodyServed': 'لا أحد بعد',
    'ticket.calledTitle': 'حان دورك',
    'ticket.calledCounter': 'الشباك {counter}',
    'ticket.calledAnyCounter': 'يرجى التوجّه إلى المكتب',
    'ticket.calledDismiss': 'حسنًا، أنا في الطريق',
    'ticket.serving': 'تجري خدمتك عند الشباك {counter}.',
    'ticket.servingAnyCounter': 'تجري خدمتك الآن.',
    'ticket.completed': 'شكرًا لزيارتك.',
    'ticket.noShow': 'نودي عليك لكن فاتك دورك. يرجى السؤال عند المكتب.',
    'ticket.cancelled': 'أُلغيت هذه التذكرة.',
    'ticket.dayEnded': 'انتهى اليوم وأُغلقت هذه التذكرة.',
    'ticket.lineClosed': 'أُغلق الطابور لهذا اليوم، وأُلغيت هذه التذكرة.',
    'ticket.cancelledByHost': 'ألغى الموظف هذه التذكرة.',
    'ticket.newTicket': 'خذ تذكرة جديدة',
    'ticket.keepOpen': 'أبقِ هذه الصفحة مفتوحة، فهي تُحدَّث تلقائيًا.',
    'ticket.cancel': 'مغادرة الطابور',
    'ticket.cancelConfirm': 'هل تريد مغادرة الطابور؟ ستفقد مكانك.',
    'ticket.cancelYes': 'نعم، غادر الطابور',
    'ticket.cancelNo': 'لا، احتفظ بمكاني',
    'ticket.cancelling': 'جارٍ المغادرة…',
    'ticket.notFoundTitle': 'لم نعثر على هذه التذكرة',
    'ticket.notFoundBody': 'ربما الرابط خاطئ، أو أن التذكرة من يوم سابق. اسأل عند المكتب إن احتجت إلى مساعدة.',
    'ticket.announce': 'التذكرة {number}: {status}.',
    'ticket.announceAhead': 'التذكرة {number}: {status}، {ahead}.',
    'ticket.announceNobodyAhead': 'التذكرة {number}: {status}، لا أحد أمامك.',
    'ticket.announceCalled': 'التذكرة {number}: حان دورك، الشباك {counter}.',

    'join.title': 'انضم إلى الطابور',
    'join.nowServing': 'يُخدم الآن',
    'join.waiting_zero': 'لا أحد ينتظر',
    'join.waiting_one': 'شخص واحد ينتظر',
    'join.waiting_two': 'شخصان ينتظران',
    'join.waiting_few': '{count} أشخاص ينتظرون',
    'join.waiting_many': '{count} شخصًا ينتظرون',
    'join.waiting_other': '{count} شخص ينتظرون',
    'join.eta': 'إن انضممت الآن: حوالي {minutes} دقيقة',
    'join.etaNone': 'إن انضممت الآن: لا انتظار متوقع',
    'join.take': 'خذ تذكرة',
    'join.taking': 'جارٍ أخذ تذكرة…',
    'join.paused': 'هذا الطابور متوقف مؤقتًا.',
    'join.pausedBack': 'يعود بعد حوالي {minutes} دقيقة.',
    'join.closed': 'هذا الطابور مغلق حاليًا.',
    'join.closedBody': 'لا تُصرف تذاكر جديدة. يرجى السؤال عند المكتب.',
    'join.notFoundTitle': 'لم نعثر على هذا الطابور',
    'join.notFoundBody': 'امسح رمز QR الموجود على الملصق مرة أخرى، أو اسأل عند المكتب.',

    'error.offline': 'لا يوجد اتصال بالطابور. تحقّق من شبكة Wi-Fi وحاول مرة أخرى.',
    'error.rate_limited': 'محاولات كثيرة جدًا. يرجى الانتظار دقيقة ثم المحاولة مرة أخرى.',
    'error.queue_paused': 'هذا الطابور متوقف مؤقتًا. يرجى المحاولة بعد قليل.',
    'error.queue_closed': 'هذا الطابور مغلق ولا يصرف تذاكر جديدة.',
    'error.queue_full': 'هذا الطابور ممتلئ حاليًا. يرجى المحاولة مرة أخرى عندما يتقدّم.',
    'error.too_many_tickets': 'لدى هذا الهاتف أو هذه الشبكة بالفعل الحدّ الأقصى من التذاكر المسموح به لضيف واحد في هذا الطابور. حاول مرة أخرى بعد خدمة إحداها.',
    'error.illegal_transition': 'لم يعد ذلك ممكنًا: لقد تقدّمت تذكرتك.',
    'error.generic': 'حدث خطأ ما. يرجى المحاولة مرة أخرى.',
    'error.storage_disk_full': 'لا يستطيع الجهاز الحفظ الآن، لذا لم تُنشأ أي تذكرة. يرجى سؤال الموظفين.',
    'error.storage_read_only': 'لا يستطيع الجهاز الحفظ الآن، لذا لم تُنشأ أي تذكرة. يرجى سؤال الموظفين.',
    'error.storage_io_error': 'لا يستطيع الجهاز الحفظ الآن، لذا لم تُنشأ أي تذكرة. يرجى سؤال الموظفين.',
    'error.storage_busy': 'الجهاز مشغول. يرجى المحاولة بعد لحظة.',
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
