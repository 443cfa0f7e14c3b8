// civicgrid patrol form (巡查上报): one page for what a grid worker finds on
// patrol — one photo, the place (their grid, or the phone's position), the
// category, words, and "I handled it on the spot" with a note. It is sent as
// one request (POST /api/v1/cases with channel patrol and self_handled), so
// the case is reported and self-handled together or not at all. The
// Idempotency-Key is made once per form and kept until the server answers,
// so a retry after a lost answer never makes a second case.
(function () {
  'use strict';
  var P = window.cgPhotos;
  var cfg = P.cfg, t = P.t;
  var form = document.getElementById('patrol-form');
  if (!form) return;
  var alertBox = document.getElementById('patrol-alert');
  var photoStatus = document.getElementById('patrol-photo-status');
  var placeStatus = document.getElementById('patrol-place-status');
  var gridSelect = document.getElementById('patrol-grid');
  var handled = document.getElementById('patrol-handled');
  var handledBox = document.getElementById('patrol-handled-box');
  var submitBtn = document.getElementById('patrol-submit');
  var submitStatus = document.getElementById('patrol-submit-status');

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  var key = newKey();
  var sent = null; // the body first sent under key
  var photo = null; // {ref, thumb}
  var gps = null; // {lat, lng} from the phone

  function showAlert(text) {
    alertBox.textContent = text;
    alertBox.hidden = !text;
    if (text) alertBox.scrollIntoView({ block: 'nearest' });
  }

  // The note is asked for only when the box is ticked.
  function syncHandled() { handledBox.hidden = !handled.checked; }
  handled.addEventListener('change', syncHandled);
  syncHandled();

  document.getElementById('patrol-photo').addEventListener('change', function (e) {
    var file = e.target.files[0];
    if (!file) return;
    submitBtn.disabled = true;
    photoStatus.className = 'hint';
    photoStatus.textContent = t('upload.working');
    P.downscale(file).then(P.upload).then(function (saved) {
      photo = saved;
      photoStatus.textContent = '';
      var img = document.createElement('img');
      img.src = '/photos/' + saved.thumb; img.alt = t('patrol.photo_alt'); img.width = 64; img.height = 64;
      photoStatus.appendChild(img);
      photoStatus.appendChild(document.createTextNode(' ' + t('upload.done')));
    }, function (err) {
      photo = null;
      photoStatus.className = 'hint error';
      photoStatus.textContent = t('upload.failed') + (err && err.message ? ' (' + err.message + ')' : '');
    }).then(function () { submitBtn.disabled = false; });
  });

  document.getElementById('patrol-gps').addEventListener('click', function () {
    if (!navigator.geolocation) { placeStatus.textContent = t('patrol.gps_failed'); return; }
    placeStatus.textContent = t('patrol.gps_working');
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lat = pos.coords.latitude, lng = pos.coords.longitude;
      fetch('/api/v1/locate?lat=' + lat + '&lng=' + lng, { credentials: 'same-origin' }).then(function (res) {
        return res.json().then(function (b) { return { ok: res.ok, body: b }; });
      }).then(function (r) {
        if (!r.ok || !r.body.grid) { placeStatus.textContent = t('patrol.gps_outside'); return; }
        gps = { lat: lat, lng: lng };
        placeStatus.textContent = t('patrol.place_gps', { grid: r.body.grid.name || r.body.grid.code });
      }, function () { placeStatus.textContent = t('patrol.gps_failed'); });
    }, function () { placeStatus.textContent = t('patrol.gps_failed'); }, { enableHighAccuracy: true, timeout: 15000 });
  });
  gridSelect.addEventListener('change', function () {
    gps = null;
    placeStatus.textContent = t('patrol.place_grid');
  });

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var category = document.getElementById('patrol-category').value;
    var note = document.getElementById('patrol-note').value.trim();
    if (!category) { showAlert(t('patrol.need_category')); document.getElementById('patrol-category').focus(); return; }
    if (!photo) { showAlert(t('patrol.need_photo')); document.getElementById('patrol-photo').focus(); return; }
    if (handled.checked && !note) { showAlert(t('patrol.need_note')); document.getElementById('patrol-note').focus(); return; }
    showAlert('');
    var opt = gridSelect.options[gridSelect.selectedIndex];
    var place = gps || { lat: Number(opt.getAttribute('data-lat')), lng: Number(opt.getAttribute('data-lng')) };
    var body = JSON.stringify({
      category: category, lat: place.lat, lng: place.lng, channel: 'patrol',
      description: document.getElementById('patrol-description').value.trim(), photos: [photo.ref],
      self_handled: handled.checked, handled_note: handled.checked ? note : ''
    });
    if (sent !== null && sent !== body) key = newKey(); // an edited form is a new request
    sent = body;
    submitBtn.disabled = true;
    submitStatus.textContent = t('patrol.sending');
    fetch('/api/v1/cases', {
      method: 'POST', body: body, credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': cfg.csrf || '', 'Idempotency-Key': key }
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.ok && data.case) {
          location.assign('/cases/' + data.case.id + '?receipt=1');
          return;
        }
        submitBtn.disabled = false;
        submitStatus.textContent = '';
        if (res.status >= 400 && res.status < 500) { key = newKey(); sent = null; }
        showAlert(t('patrol.refused') + (data.error && data.error.message ? ' (' + data.error.message + ')' : ''));
      });
    }, function () {
      submitBtn.disabled = false;
      submitStatus.textContent = '';
      showAlert(t('patrol.offline'));
    });
  });
  form.setAttribute('data-state', 'ready');
})();
