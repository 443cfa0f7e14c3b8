// civicgrid big screen: draws the area's grids and its open cases by
// traffic light with Leaflet, and keeps the page live from the case stream
// (server-sent events): a case that changes moves, recolours or leaves the
// map at once, and the figures and alerts are read again from the page's
// JSON (a new alert arrives on the same stream). The page itself carries
// every figure, so it reads without this script.
(function () {
  'use strict';
  var root = document.querySelector('[data-testid="bigscreen"]');
  var dataEl = document.getElementById('big-data');
  if (!root || !dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  var colours = { red: '#ff4d4f', yellow: '#fadb14', green: '#52c41a' };
  var map = null, markers = {};

  function setText(id, v) {
    var el = document.getElementById(id);
    if (el) el.textContent = v;
  }

  function marker(c) {
    if (!map || !c.lat || !c.lng) return;
    var m = markers[c.id];
    var style = { radius: 9, color: '#fff', weight: 1.5, fillColor: colours[c.light] || colours.green, fillOpacity: 0.95 };
    if (m) {
      m.setLatLng([c.lat, c.lng]).setStyle(style);
    } else {
      markers[c.id] = L.circleMarker([c.lat, c.lng], style).addTo(map);
    }
  }

  function drawCases(cases) {
    var seen = {};
    cases.forEach(function (c) { seen[c.id] = true; marker(c); });
    Object.keys(markers).forEach(function (id) {
      if (!seen[id]) { map.removeLayer(markers[id]); delete markers[id]; }
    });
  }

  function render(d) {
    setText('today-received', d.Today.received);
    setText('today-closure', d.Today.closure);
    setText('month-received', d.Month.received);
    setText('month-closure', d.Month.closure);
    setText('open-cases', d.Open + (d.OpenCapped ? '+' : ''));
    setText('help-open', d.HelpOpen < 0 ? '—' : d.HelpOpen);
    setText('care-due', d.CareDue < 0 ? '—' : d.CareDue);
    setText('care-overdue', d.CareDue < 0 ? '—' : d.CareOverdue);
    setText('n-red', d.Lights.red);
    setText('n-yellow', d.Lights.yellow);
    setText('n-green', d.Lights.green);
    setText('n-alerts', (d.Alerts || []).length);
    setText('big-updated', d.Updated);
    var list = document.getElementById('big-alert-list');
    while (list.firstChild) list.removeChild(list.firstChild);
    (d.Alerts || []).forEach(function (a) {
      var li = document.createElement('li');
      var b = document.createElement('strong');
      b.textContent = a.category_name;
      li.appendChild(b);
      li.appendChild(document.createTextNode(' · ' + a.area_name));
      li.appendChild(document.createElement('br'));
      li.appendChild(document.createTextNode(list.getAttribute('data-window').replace('{days}', a.window_days) + ' ' +
        list.getAttribute('data-observed').replace('{observed}', a.observed).replace('{expected}', a.expected.toFixed(2)) + ' · ' + a.p_text));
      list.appendChild(li);
    });
    if (!(d.Alerts || []).length) {
      var none = document.createElement('li');
      none.className = 'none';
      none.textContent = list.getAttribute('data-none');
      list.appendChild(none);
    }
    drawCases(d.Cases || []);
  }

  var pending = null;
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      fetch(root.getAttribute('data-data-url'), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d) render(d); })
        .catch(function () {});
    }, 300);
  }

  if (window.L) {
    var el = document.getElementById('big-map');
    map = L.map(el, { zoomControl: false, attributionControl: false, zoomSnap: 0.25 });
    map.setView([30.58, 114.3], 12);
    fetch('/api/v1/areas.geojson?level=grid&within=' + encodeURIComponent(root.getAttribute('data-code')), { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (gj) {
        var layer = L.geoJSON(gj, { style: { color: '#4a90d9', weight: 1, fillColor: '#123', fillOpacity: 0.35 } }).addTo(map);
        if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [12, 12] });
      })
      .catch(function () {});
    drawCases(data.Cases || []);
  }

  var live = document.getElementById('big-live');
  function connect() {
    var es = new EventSource(root.getAttribute('data-stream-url'));
    es.onopen = function () { live.textContent = root.getAttribute('data-live'); live.className = 'on'; };
    es.onerror = function () { live.textContent = root.getAttribute('data-offline'); live.className = 'off'; };
    es.addEventListener('case', function (ev) {
      try {
        var m = JSON.parse(ev.data), c = m.case;
        var open = ['closed', 'rated', 'rejected', 'merged', 'cancelled'].indexOf(c.status) < 0;
        if (open) {
          marker({ id: c.id, lat: c.lat, lng: c.lng, light: c.light || 'green' });
        } else if (markers[c.id]) {
          map.removeLayer(markers[c.id]);
          delete markers[c.id];
        }
      } catch (e) { /* a malformed event: the refresh below still runs */ }
      refresh();
    });
    es.addEventListener('alert', refresh);
    es.addEventListener('end', function () { es.close(); live.textContent = root.getAttribute('data-offline'); live.className = 'off'; });
  }
  if (window.EventSource) connect();
  // A slow refresh besides, for the figures no event moves (the clock's
  // traffic lights turning).
  setInterval(refresh, 60000);
})();
