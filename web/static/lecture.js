// The lecture check-in scanner: the camera reads an attendee's ticket QR
// code (jsQR) and sends the check-in form with it. Without a camera, its
// permission or this script, staff type the code into the same form.
(() => {
  const video = document.getElementById('lec-video');
  const canvas = document.getElementById('lec-canvas');
  const start = document.getElementById('lec-camera');
  const note = document.getElementById('lec-camera-note');
  const form = document.getElementById('lec-checkin');
  if (!video || !form || !window.jsQR || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  const cfg = JSON.parse(document.getElementById('cg-config').textContent || '{}');
  const msg = (k) => (cfg.messages && cfg.messages[k]) || k;
  start.hidden = false;
  let sent = false;
  const scan = () => {
    if (sent) return;
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' });
      if (code && code.data) {
        sent = true;
        form.elements.ticket.value = code.data.trim();
        form.requestSubmit ? form.requestSubmit() : form.submit();
        return;
      }
    }
    requestAnimationFrame(scan);
  };
  start.addEventListener('click', async () => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      video.srcObject = stream;
      video.hidden = false;
      start.hidden = true;
      await video.play();
      note.textContent = msg('lecture.scanning');
      requestAnimationFrame(scan);
    } catch (e) {
      note.textContent = msg('lecture.no_camera');
    }
  });
})();
