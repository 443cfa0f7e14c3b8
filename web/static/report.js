// civicgrid report page (随手拍): three steps — place, category, photo and
// words. The page works as a plain form before this script runs; the script
// shows one step at a time, draws the map, places the pin (GPS or a tap),
// names the grid, offers likely duplicates ("me too"), uploads the photo
// scaled down and submits the report with an Idempotency-Key kept in
// sessionStorage, so a retry after a network failure never makes a second
// case.
(function () {
  'use strict';
  var P = window.cgPhotos;
  var cfg = P.cfg, t = P.t;
  var form = document.getElementById('report-form');
  var alertBox = document.getElementById('report-alert');
  var placeStatus = document.getElementById('place-status');
  var photoList = document.getElementById('photo-list');
  var submitStatus = document.getElementById('submit-status');
  var submitBtn = document.getElementById('report-submit');
  var DRAFT = 'cg-report-draft';

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  function loadDraft() {
    try { return JSON.parse(sessionStorage.getItem(DRAFT)) || null; } catch (e) { return null; }
  }
  var draft = loadDraft() || { key: newKey(), photos: [] };
  function save() { try { sessionStorage.setItem(DRAFT, JSON.stringify(draft)); } catch (e) { /* private mode */ } }
  save();

  function showAlert(text) {
    alertBox.textContent = text;
    alertBox.hidden = !text;
  }

  function api(method, url, body, headers) {
    var h = { 'X-CSRF-Token': cfg.csrf || '' };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(url, { method: method, headers: h, credentials: 'same-origin', body: body === undefined ? undefined : body })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) { return { status: res.status, ok: res.ok, data: data }; });
      });
  }

  // Steps: one at a time, the indicator shows where one is.
  var steps = Array.prototype.slice.call(form.querySelectorAll('fieldset.step'));
  var marks = document.querySelectorAll('#report-steps li');
  var current = 1;
  function go(n, focus) {
    current = n;
    steps.forEach(function (s) { s.hidden = Number(s.getAttribute('data-step')) !== n; });
    Array.prototype.forEach.call(marks, function (m) {
      if (Number(m.getAttribute('data-step')) === n) m.setAttribute('aria-current', 'step'); else m.removeAttribute('aria-current');
    });
    if (n === 1 && map) setTimeout(function () { map.invalidateSize(); }, 0);
    if (n === 3) checkDuplicates();
    if (focus !== false) {
      var legend = steps[n - 1].querySelector('legend');
      legend.setAttribute('tabindex', '-1');
      legend.focus();
    }
  }
  form.addEventListener('click', function (e) {
    var next = e.target.closest('[data-next]'), prev = e.target.closest('[data-prev]');
    if (next) {
      var n = Number(next.getAttribute('data-next'));
      if (n === 2 && !draft.grid) { showAlert(t('report.need_place')); return; }
      if (n === 3 && !draft.category) { showAlert(t('report.need_category')); return; }
      showAlert('');
      go(n);
    } else if (prev) {
      showAlert('');
      go(Number(prev.getAttribute('data-prev')));
    }
  });

  // Place: the map, GPS, a tap, or the map's centre (keyboard). The map
  // (Leaflet, the largest download of the page) is fetched after the form
  // is usable: GPS, the categories and the photo do not wait for it.
  var map = null, marker = null, gridLayer = null;
  var pinCenter = document.getElementById('pin-center');
  pinCenter.hidden = true;
  function initMap() {
    var el = document.getElementById('report-map');
    var c = cfg.center || [114.30, 30.58];
    var B = window.cgBasemap;
    // WGS-84 throughout: on a GCJ-02 provider the CRS shifts drawing and taps.
    map = L.map(el, { crs: B.crs(cfg), zoomControl: true, keyboard: true }).setView([c[1], c[0]], cfg.zoom || 13);
    // The grid outlines at every zoom: a place is always seen in its grid.
    B.add(map, cfg, { grids: true });
    map.on('click', function (e) { setPin(e.latlng.lat, e.latlng.lng, 'tap'); });
    pinCenter.hidden = false;
    if (draft.grid) {
      placeMarker();
      map.setView([draft.lat, draft.lng], 17);
      drawGrid(draft.grid);
    } else {
      // Near the user when they have allowed location before, so a tap in
      // the middle is a place near them; else the city.
      B.startView(map, 17);
    }
    B.search(document.getElementById('place-search'), t, function (p) {
      map.setView([p.lat, p.lng], p.level === 'building' || p.level === 'grid' ? 17 : 16);
      if (p.level === 'building' && !(draft.address || '').trim()) {
        var addr = document.getElementById('report-address');
        addr.value = p.name;
        draft.address = p.name;
      }
      setPin(p.lat, p.lng, 'search');
    });
    el.setAttribute('data-state', 'ready');
  }
  function loadMap() {
    var a = cfg.assets || {};
    if (!a.leafletJS) return;
    // The styles and the scripts (Leaflet first, then what builds on it)
    // must be in before the map is drawn.
    var scripts = [a.leafletJS].concat(cfg.scripts || []);
    var cssReady = false, jsReady = false;
    var done = function () { if (cssReady && jsReady && window.L) initMap(); };
    var css = document.createElement('link');
    css.rel = 'stylesheet'; css.href = a.leafletCSS;
    css.onload = function () { cssReady = true; done(); };
    document.head.appendChild(css);
    var next = function (i) {
      if (i === scripts.length) { jsReady = true; done(); return; }
      var js = document.createElement('script');
      js.src = scripts[i];
      js.onload = function () { next(i + 1); };
      document.head.appendChild(js);
    };
    next(0);
  }
  function placeMarker() {
    if (!marker) marker = L.circleMarker([draft.lat, draft.lng], { pane: 'markerPane', radius: 10, color: '#b3261e', weight: 3, fillColor: '#f5a524', fillOpacity: 0.9 }).addTo(map);
    else marker.setLatLng([draft.lat, draft.lng]);
  }
  function setPin(lat, lng, how) {
    draft.lat = Math.round(lat * 1e7) / 1e7;
    draft.lng = Math.round(lng * 1e7) / 1e7;
    draft.grid = '';
    save();
    if (map) {
      placeMarker();
      if (how === 'gps') map.setView([lat, lng], 17);
    }
    placeStatus.textContent = t('report.locating_grid');
    return fetch('/api/v1/locate?lat=' + draft.lat + '&lng=' + draft.lng).then(function (res) {
      return res.json().then(function (body) { return { res: res, body: body }; });
    }).then(function (x) {
      if (x.res.status === 422) { placeStatus.textContent = t('report.outside'); return; }
      if (!x.res.ok) { placeStatus.textContent = t('report.locate_failed'); return; }
      var g = x.body.grid || {};
      draft.grid = g.code;
      draft.gridName = [g.name || g.code, x.body.community && x.body.community.name].filter(Boolean).join(' · ');
      save();
      showPlace();
      showAlert('');
      drawGrid(g.code);
      checkDuplicates();
    }).catch(function () { placeStatus.textContent = t('report.locate_failed'); });
  }
  function showPlace() {
    placeStatus.textContent = t('report.place_set', { grid: draft.gridName || draft.grid, lat: draft.lat.toFixed(5), lng: draft.lng.toFixed(5) });
    placeStatus.setAttribute('data-grid', draft.grid);
  }
  function drawGrid(code) {
    if (!map || !code) return;
    fetch('/api/v1/areas/' + encodeURIComponent(code)).then(function (r) { return r.ok ? r.json() : null; }).then(function (a) {
      if (!a || !a.geometry) return;
      if (gridLayer) map.removeLayer(gridLayer);
      gridLayer = L.geoJSON(a.geometry, { pane: window.cgBasemap.selectionPane(map), interactive: false, style: { color: '#0b4a8b', weight: 3, fillColor: '#5b8fd0', fillOpacity: 0.12 } }).addTo(map);
    }).catch(function () {});
  }

  document.getElementById('use-location').addEventListener('click', function () {
    if (!navigator.geolocation) { placeStatus.textContent = t('report.gps_failed'); return; }
    placeStatus.textContent = t('report.gps_working');
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPin(pos.coords.latitude, pos.coords.longitude, 'gps');
    }, function () { placeStatus.textContent = t('report.gps_failed'); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
  pinCenter.addEventListener('click', function () { if (map) { var c = map.getCenter(); setPin(c.lat, c.lng, 'center'); } });

  // Category.
  form.addEventListener('change', function (e) {
    if (e.target.name === 'category') {
      draft.category = e.target.value;
      save();
      showAlert('');
    } else if (e.target.id === 'report-description') {
      draft.description = e.target.value; save();
    } else if (e.target.id === 'report-address') {
      draft.address = e.target.value; save();
    }
  });
  form.addEventListener('input', function (e) {
    if (e.target.id === 'report-description') { draft.description = e.target.value; save(); }
  });

  // Likely duplicates: open cases of this category nearby.
  var dups = document.getElementById('dups'), dupsList = document.getElementById('dups-list');
  var lastDupQuery = '';
  function checkDuplicates() {
    if (!draft.grid || !draft.category) return;
    var q = 'category=' + encodeURIComponent(draft.category) + '&lat=' + draft.lat + '&lng=' + draft.lng;
    if (q === lastDupQuery) return;
    lastDupQuery = q;
    api('GET', '/api/v1/cases/nearby?' + q).then(function (r) {
      dupsList.textContent = '';
      var cases = (r.ok && r.data.cases) || [];
      dups.hidden = cases.length === 0;
      cases.slice(0, 5).forEach(function (c) {
        var li = document.createElement('li');
        var p = document.createElement('p');
        p.textContent = t('report.dup_item', { id: c.id, status: t('status.' + c.status), me_too: c.me_too + 1 });
        li.appendChild(p);
        if (c.description) { var d = document.createElement('p'); d.className = 'hint'; d.textContent = c.description.slice(0, 120); li.appendChild(d); }
        var b = document.createElement('button');
        b.type = 'button'; b.className = 'secondary'; b.textContent = t('report.me_too');
        b.setAttribute('data-me-too', c.id);
        li.appendChild(b);
        dupsList.appendChild(li);
      });
    }).catch(function () { lastDupQuery = ''; });
  }
  dupsList.addEventListener('click', function (e) {
    var b = e.target.closest('[data-me-too]');
    if (!b) return;
    b.disabled = true;
    var id = b.getAttribute('data-me-too');
    api('POST', '/api/v1/cases/' + id + '/me_too', '{}').then(function (r) {
      if (!r.ok) { b.disabled = false; showAlert(t('report.me_too_failed')); return; }
      sessionStorage.removeItem(DRAFT);
      var done = document.createElement('p');
      done.className = 'notice';
      done.setAttribute('role', 'status');
      done.textContent = t('report.me_too_done', { id: id, n: r.data.me_too + 1 });
      form.replaceWith(done);
    }, function () { b.disabled = false; showAlert(t('report.offline')); });
  });

  // Photos: scaled down, uploaded at once, remembered in the draft.
  function renderPhotos() {
    photoList.textContent = '';
    draft.photos.forEach(function (ph, i) {
      var li = document.createElement('li');
      li.className = 'upload';
      var img = document.createElement('img');
      img.src = '/photos/' + ph.thumb; img.alt = t('report.photo_n', { n: i + 1 }); img.width = 64; img.height = 64;
      li.appendChild(img);
      var rm = document.createElement('button');
      rm.type = 'button'; rm.className = 'secondary small'; rm.textContent = t('report.photo_remove');
      rm.setAttribute('aria-label', t('report.photo_remove_n', { n: i + 1 }));
      rm.addEventListener('click', function () { draft.photos.splice(i, 1); save(); renderPhotos(); });
      li.appendChild(rm);
      photoList.appendChild(li);
    });
  }
  var pending = 0;
  document.getElementById('report-photo').addEventListener('change', function (e) {
    var files = Array.prototype.slice.call(e.target.files);
    e.target.value = '';
    files.forEach(function (file) {
      if (draft.photos.length + pending >= 9) return;
      pending++;
      submitBtn.disabled = true;
      var status = document.createElement('li');
      status.className = 'upload';
      status.textContent = t('upload.working');
      photoList.appendChild(status);
      var blob;
      var attempt = function () {
        return P.upload(blob).then(function (saved) {
          draft.photos.push({ ref: saved.ref, thumb: saved.thumb });
          save();
        });
      };
      P.downscale(file).then(function (b) { blob = b; return attempt(); }).then(function () {
        pending--; renderPhotos();
      }, function (err) {
        pending--;
        status.textContent = t('upload.failed') + ' ';
        status.className = 'upload error';
        if (blob) {
          var retry = document.createElement('button');
          retry.type = 'button'; retry.className = 'secondary small'; retry.textContent = t('upload.retry');
          retry.addEventListener('click', function () {
            pending++; status.textContent = t('upload.working'); status.className = 'upload';
            attempt().then(function () { pending--; renderPhotos(); }, function () { pending--; status.textContent = t('upload.failed'); status.className = 'upload error'; });
          });
          status.appendChild(retry);
        }
      }).then(function () { if (!pending) submitBtn.disabled = false; });
    });
  });

  // Submit sends what is on the screen now. The Idempotency-Key stays with
  // the body it was first sent with: a retry of the same words, place,
  // category and photos repeats the key, so an attempt whose answer was
  // lost returns its case instead of making a second one. A draft edited
  // after a failed attempt is a new report attempt and gets a new key
  // (the server refuses a key sent with another body). Should the failed
  // attempt have reached the server after all, the resident has two
  // reports in "my reports", which staff merge as duplicates; that is
  // better than silently sending the words they replaced.
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (!draft.grid) { showAlert(t('report.need_place')); go(1); return; }
    if (!draft.category) { showAlert(t('report.need_category')); go(2); return; }
    if (!draft.photos.length && !(draft.description || '').trim()) { showAlert(t('report.need_photo_or_words')); return; }
    var body = JSON.stringify({
      category: draft.category, lat: draft.lat, lng: draft.lng, description: (draft.description || '').trim(),
      address: (draft.address || '').trim(), channel: 'app', photos: draft.photos.map(function (p) { return p.ref; })
    });
    if (draft.body && draft.body !== body) draft.key = newKey();
    draft.body = body;
    save();
    submitBtn.disabled = true;
    submitStatus.textContent = t('report.sending');
    api('POST', '/api/v1/cases', draft.body, { 'Idempotency-Key': draft.key }).then(function (r) {
      if (r.ok && r.data.case) {
        sessionStorage.removeItem(DRAFT);
        submitStatus.textContent = t('report.sent');
        location.assign('/cases/' + r.data.case.id + '?receipt=1');
        return;
      }
      submitBtn.disabled = false;
      submitStatus.textContent = '';
      if (r.status === 409 || r.status === 422 || r.status === 400) {
        // Refused as it stands: the next attempt is a new draft body.
        delete draft.body; draft.key = newKey(); save();
      }
      showAlert(t('report.refused') + ((r.data.error && r.data.error.message) ? ' (' + r.data.error.message + ')' : ''));
    }, function () {
      submitBtn.disabled = false;
      submitStatus.textContent = '';
      submitBtn.textContent = t('report.retry');
      showAlert(t('report.offline'));
    });
  });

  // Restore a draft (a reload, a return after a failure).
  if (draft.category) {
    var radio = form.querySelector('input[name="category"][value="' + draft.category + '"]');
    if (radio) radio.checked = true;
  }
  if (draft.description) document.getElementById('report-description').value = draft.description;
  if (draft.address) document.getElementById('report-address').value = draft.address;
  if (draft.grid) showPlace();
  if (draft.body) submitBtn.textContent = t('report.retry');
  renderPhotos();
  go(1, false);
  form.setAttribute('data-state', 'ready');
  loadMap();
})();
