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
