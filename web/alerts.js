// Telling the person something happened while they look elsewhere: the
// tab's title counts what is unread (and says when they were mentioned),
// the button that opens the rooms and people on a phone shows a count
// too, and, with the person's permission, the browser shows a
// notification for a mention or a private message while the tab is
// hidden.

import { ui } from './view.js';

const TITLE = 'wschat';

/** showUnread puts what is unread in the title and on the side panel's button. */
export function showUnread(unread, mentioned, elsewhere) {
  const mark = mentioned ? '@ ' : '';
  document.title = unread > 0 || mentioned ? `${mark}(${unread}) ${TITLE}` : TITLE;
  ui.sideBadge.hidden = elsewhere === 0;
  ui.sideBadge.textContent = String(elsewhere);
  ui.sideToggle.setAttribute('aria-label', elsewhere > 0 ? `Rooms & people, ${elsewhere} unread` : 'Rooms & people');
}

/** notify shows a browser notification, if the person allowed them and is looking elsewhere. */
export function notify(title, body, onClick) {
  if (!document.hidden || !('Notification' in window) || Notification.permission !== 'granted') return;
  const n = new Notification(title, { body, tag: title });
  n.onclick = () => {
    window.focus();
    onClick();
    n.close();
  };
}

/** setUpNotifications offers to turn notifications on, with the button that asks the browser, until they are on or refused. */
export function setUpNotifications() {
  const offer = () => {
    ui.notifyOn.hidden = !('Notification' in window) || Notification.permission !== 'default';
  };
  offer();
  ui.notifyOn.addEventListener('click', async () => {
    try {
      await Notification.requestPermission();
    } catch {
      // An old browser: nothing to turn on.
    }
    offer();
  });
}
