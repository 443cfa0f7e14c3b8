// Browser push on the inbox page. The switch is shown only where the
// browser has service workers and the Push API. Turning it on asks for
// permission, subscribes with the server's VAPID key and stores the
// subscription; turning it off deletes it at the server and in the
// browser. The rest of the page works without this script.
(() => {
  const box = document.getElementById('push-device');
  if (!box || !('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return;
  const input = document.getElementById('push-switch');
  const status = document.getElementById('push-status');
  const say = (text) => { status.textContent = text; };

  const api = async (method, body) => {
    const r = await fetch('/api/v1/notifications/push', {
      method, credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': box.dataset.csrf },
      body: body && JSON.stringify(body),
    });
    if (!r.ok && r.status !== 404) throw new Error(`${method} subscription: ${r.status}`);
    return r.status === 404 ? null : r.json();
  };
  const keyBytes = (b64) => {
    const s = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  };

  box.hidden = false;
  let reg = null;
  const ready = navigator.serviceWorker.register('/sw.js').then((r) => { reg = r; return navigator.serviceWorker.ready; });

  // On when this browser holds a subscription the server knows as this
  // person's.
  ready.then(async () => {
    const sub = await reg.pushManager.getSubscription();
    if (!sub || Notification.permission !== 'granted') return;
    const mine = await api('GET');
    input.checked = Boolean(mine && mine.subscriptions.some((s) => s.endpoint === sub.endpoint));
  }).catch((e) => console.warn('push:', e));

  // Drops this browser's subscription here and at the server (it may be
  // another account's, left from before: the server then says not found).
  const drop = async () => {
    const sub = await reg.pushManager.getSubscription();
    if (!sub) return;
    await api('DELETE', { endpoint: sub.endpoint });
    await sub.unsubscribe();
  };

  input.addEventListener('change', async () => {
    const on = input.checked;
    input.disabled = true;
    say('');
    try {
      await ready;
      if (on) {
        if (await Notification.requestPermission() !== 'granted') {
          input.checked = false;
          say(box.dataset.denied);
          return;
        }
        await drop();
        const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.key) });
        await api('POST', sub.toJSON());
        say(box.dataset.on);
      } else {
        await drop();
        say(box.dataset.off);
      }
    } catch (e) {
      console.warn('push:', e);
      input.checked = !on;
      say(on ? box.dataset.failed : '');
    } finally {
      input.disabled = false;
    }
  });
})();
