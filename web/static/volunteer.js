// Forms that send where the phone is: the volunteer page's sign-in,
// sign-out and "nearest first", and a lecture's self check-in at the door.
// Without this script (or without permission) the forms still send, and the
// server says what is missing.
(() => {
  for (const form of document.querySelectorAll('form.vol-here')) {
    form.addEventListener('submit', (ev) => {
      if (form.dataset.located || !('geolocation' in navigator)) return;
      if (form.elements.code && form.elements.code.value.trim()) return; // the requester's code: no position needed
      ev.preventDefault();
      const send = () => { form.dataset.located = '1'; form.requestSubmit ? form.requestSubmit() : form.submit(); };
      navigator.geolocation.getCurrentPosition((pos) => {
        form.elements.lat.value = pos.coords.latitude.toFixed(7);
        form.elements.lng.value = pos.coords.longitude.toFixed(7);
        send();
      }, send, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }
})();

// The volunteer's open list: a request opened meanwhile (the live stream of
// open requests) shows a notice with a link that reloads the list. Without
// this script the list is as loaded.
(() => {
  const note = document.querySelector('[data-testid="open-live"]');
  if (!note || !('EventSource' in window)) return;
  const es = new EventSource('/api/v1/volunteer/requests/stream');
  es.addEventListener('request', () => { note.hidden = false; });
  es.addEventListener('end', () => es.close());
})();
