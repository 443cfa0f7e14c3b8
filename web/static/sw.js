// The service worker of browser push: it shows each message the server
// pushes (title, body, the page to open) and opens that page, on this
// site only, when the notification is tapped. It handles no requests.
self.addEventListener('push', (event) => {
  let m = {};
  try {
    m = event.data ? event.data.json() : {};
  } catch {
    m = { body: event.data.text() };
  }
  event.waitUntil(self.registration.showNotification(m.title || '', {
    body: m.body || '',
    tag: m.tag,
    icon: '/static/icon-192.png',
    data: { url: m.url || '/inbox' },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || '/inbox', self.location.origin);
  if (url.origin !== self.location.origin) return;
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
    for (const w of windows) {
      if (w.url === url.href && 'focus' in w) return w.focus();
    }
    return self.clients.openWindow(url.href);
  }));
});
