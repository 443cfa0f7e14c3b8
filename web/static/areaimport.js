// civicgrid area import page. A chosen file goes to the import's dry run
// (POST /api/v1/admin/areas/check), which writes nothing; its areas are
// drawn over the current ones on the base map, and each problem is drawn
// where it is (a marker at its place, else its area highlighted) and listed
// beside the map, each entry showing its place when chosen. Only a file that
// checks clean offers the import, after a confirmation that says what it
// will add and change. Every text comes from the page's catalogue.
(function () {
  'use strict';

  var cfgEl = document.getElementById('cg-config');
  var form = document.getElementById('area-check-form');
  if (!cfgEl || !form) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var messages = cfg.messages || {};

  function t(key, vars) {
    var s = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    return !vars ? s : s.replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m;
    });
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  var fileInput = $('area-file');
  var checkBtn = $('area-check-button');
  var status = $('area-status');
  var list = $('area-problem-list');
  var count = $('area-problem-count');
  var empty = $('area-problems-empty');
  var importBox = $('area-import');
  var previewEl = $('area-import-preview');
  var importBtn = $('area-import-button');
  var confirmBox = $('area-import-confirm');
  var confirmText = $('area-import-confirm-text');
  var yesBtn = $('area-import-yes');
  var noBtn = $('area-import-no');
  var mapEl = $('area-map');

  var map = null, fileLayer = null, problemLayer = null;
  var checkedFile = null; // the file that checked clean, for the import
  var preview = null;
  var shapes = []; // problem index → its layer on the map (or null)
  var items = []; // problem index → its list entry's button (or null)

  var fileStyle = { color: '#0b4a8b', weight: 2, opacity: 0.9, fillColor: '#5b8fd0', fillOpacity: 0.1, className: 'file-area' };
  var problemStyle = { color: '#b3261e', weight: 3, opacity: 1, dashArray: '6 4', fillColor: '#d93025', fillOpacity: 0.22, className: 'problem-shape problem-area' };

  if (window.L && window.cgBasemap && mapEl) {
    var B = window.cgBasemap;
    map = L.map(mapEl, { crs: B.crs(cfg), scrollWheelZoom: false, maxZoom: 19 });
    var center = cfg.center ? [cfg.center[1], cfg.center[0]] : [35, 105];
    map.setView(center, cfg.center ? cfg.zoom || 12 : 4);
    B.add(map, cfg, { grids: true });
    // The file's areas above the base layer (hovered for their names), the
    // problems above them.
    map.createPane('fileAreas');
    map.getPane('fileAreas').style.zIndex = 430;
    map.createPane('problems');
    map.getPane('problems').style.zIndex = 450;
    fileLayer = L.featureGroup().addTo(map);
    problemLayer = L.featureGroup().addTo(map);
    mapEl.setAttribute('data-state', 'ready');
  } else if (mapEl) {
    mapEl.appendChild(el('p', 'map-fallback warning', t('map.assets_missing')));
  }

  function reset() {
    if (fileLayer) fileLayer.clearLayers();
    if (problemLayer) problemLayer.clearLayers();
    list.textContent = '';
    count.textContent = '';
    shapes = [];
    items = [];
    pinsAt = {};
    checkedFile = null;
    preview = null;
    importBox.hidden = true;
    confirmBox.hidden = true;
    importBtn.hidden = false;
    empty.hidden = false;
    empty.textContent = t('areas.nothing_checked');
    status.classList.remove('error', 'done');
  }

  function areaText(m2) {
    return m2 >= 10000 ? t('areas.size_ha', { n: (m2 / 10000).toFixed(2) }) : t('areas.size_m2', { n: Math.round(m2 * 10) / 10 });
  }

  // pin is a marker numbered as the problem's list entry. The list is the
  // way to problems by keyboard, so the pins stay out of the tab order.
  // Pins at one place (an area outside its parent where it overlaps a
  // neighbour) stand side by side, so each number shows.
  var pinsAt = {};
  function pin(ll, i) {
    var key = L.latLng(ll).lat.toFixed(5) + ',' + L.latLng(ll).lng.toFixed(5);
    var k = pinsAt[key] = (pinsAt[key] || 0) + 1;
    return L.marker(ll, {
      keyboard: false, riseOnHover: true,
      icon: L.divIcon({ className: 'problem-shape problem-marker', html: '<span>' + (i + 1) + '</span>', iconSize: [28, 28], iconAnchor: [14 - 24 * (k - 1), 14] })
    });
  }

  // shapeOf draws problem i on the map: a numbered pin at its place, else
  // the area it concerns highlighted; null when it is at no place.
  function shapeOf(p, i) {
    if (!map) return null;
    var layer = null;
    if (p.at && isFinite(p.at[0]) && isFinite(p.at[1])) {
      layer = pin([p.at[1], p.at[0]], i);
    } else if (p.geometry) {
      layer = L.geoJSON(p.geometry, {
        pane: 'problems', style: problemStyle,
        pointToLayer: function (_, ll) { return pin(ll, i); }
      });
      if (p.geometry.type !== 'Point') layer.bindTooltip(String(i + 1), { permanent: true, direction: 'center', className: 'problem-label', pane: 'problems' });
    }
    if (!layer) return null;
    layer.on('click', function () { choose(i, true); });
    layer.addTo(problemLayer);
    return layer;
  }

  function boundsOf(layer) {
    if (layer.getBounds) return layer.getBounds();
    var ll = layer.getLatLng();
    return L.latLngBounds(ll, ll);
  }

  // choose shows problem i: its place centred and marked, its entry marked.
  function choose(i, fromMap) {
    items.forEach(function (b, j) { if (b) b.setAttribute('aria-current', j === i ? 'true' : 'false'); });
    shapes.forEach(function (s, j) {
      if (!s) return;
      var on = j === i;
      var restyle = function (l) {
        if (l instanceof L.Marker) {
          if (l.getElement()) l.getElement().classList.toggle('chosen', on);
          l.setZIndexOffset(on ? 1000 : 0);
          return;
        }
        if (!l.setStyle) return;
        l.setStyle({ weight: on ? problemStyle.weight + 3 : problemStyle.weight, fillOpacity: on ? problemStyle.fillOpacity + 0.25 : problemStyle.fillOpacity });
        if (on && l.bringToFront) l.bringToFront();
      };
      if (s.eachLayer) s.eachLayer(restyle); else restyle(s);
    });
    var s = shapes[i];
    if (s && map) {
      var b = boundsOf(s);
      if (s.getLatLng) map.setView(s.getLatLng(), Math.max(map.getZoom(), 17), { animate: false });
      else map.fitBounds(b, { maxZoom: 18, padding: [24, 24], animate: false });
      if (!fromMap && mapEl.getBoundingClientRect().top < 0) mapEl.scrollIntoView({ block: 'start' });
    }
    if (fromMap && items[i]) items[i].focus();
  }

  function showProblems(problems) {
    count.textContent = '(' + problems.length + ')';
    empty.hidden = problems.length > 0;
    if (!problems.length) empty.textContent = t('areas.no_problems');
    problems.forEach(function (p, i) {
      var shape = shapeOf(p, i);
      shapes.push(shape);
      var li = el('li', 'area-problem');
      li.setAttribute('data-kind', p.kind);
      var holder = shape ? el('button', 'area-problem-item') : el('div', 'area-problem-item');
      if (shape) {
        holder.type = 'button';
        holder.setAttribute('aria-current', 'false');
        holder.addEventListener('click', function () { choose(i, false); });
      }
      var head = el('span', 'problem-head');
      head.appendChild(el('span', 'problem-no', String(i + 1)));
      var kindKey = 'areas.kind_' + p.kind;
      head.appendChild(el('span', 'problem-kind', Object.prototype.hasOwnProperty.call(messages, kindKey) ? t(kindKey) : p.kind));
      holder.appendChild(head);
      var where = [];
      if (p.index >= 0) where.push(t('areas.feature', { n: p.index }));
      if (p.code) where.push(p.code);
      if (p.area_m2) where.push(areaText(p.area_m2));
      if (where.length) holder.appendChild(el('span', 'problem-where', where.join(' · ')));
      var detail = el('span', 'problem-detail', p.detail);
      detail.setAttribute('lang', 'en');
      holder.appendChild(detail);
      if (!shape) holder.appendChild(el('span', 'problem-nowhere hint', t('areas.not_on_map')));
      li.appendChild(holder);
      list.appendChild(li);
      items.push(shape ? holder : null);
    });
    mapEl.setAttribute('data-problems', String(shapes.filter(Boolean).length));
  }

  function drawAreas(fc) {
    if (!map || !fc || !fc.features) return;
    L.geoJSON(fc, {
      pane: 'fileAreas', style: fileStyle,
      pointToLayer: function (_, ll) { return L.circleMarker(ll, { pane: 'fileAreas', radius: 8, color: '#0b4a8b', weight: 3, fillColor: '#5b8fd0', fillOpacity: 0.9, className: 'file-area' }); },
      // The name and code on hover, to tell which feature a shape is.
      onEachFeature: function (f, l) {
        var pr = f.properties || {};
        if (pr.name || pr.code) l.bindTooltip([pr.name, pr.code].filter(Boolean).join(' · '), { sticky: true });
      }
    }).eachLayer(function (l) { fileLayer.addLayer(l); });
  }

  function fitAll() {
    if (!map) return;
    var b = null;
    [fileLayer, problemLayer].forEach(function (g) {
      if (g.getLayers().length) b = b ? b.extend(g.getBounds()) : g.getBounds();
    });
    if (b && b.isValid()) map.fitBounds(b, { maxZoom: 18, padding: [16, 16], animate: false });
  }

  function say(text, kind) {
    status.textContent = text;
    status.classList.toggle('error', kind === 'error');
    status.classList.toggle('done', kind === 'done');
  }

  // refused tells an answer other than the check's in the page's words,
  // with the server's own words (which name what is at fault) beneath.
  function refused(httpStatus, body) {
    var e = (body && body.error) || {};
    var key = 'areas.failed_' + (e.code || '');
    var text = Object.prototype.hasOwnProperty.call(messages, key) ? t(key) : t('areas.failed', { status: httpStatus });
    say(e.message ? text + ' ' + e.message : text, 'error');
    if (e.problems && e.problems.length) showProblems(e.problems);
  }

  function post(url, file) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin', body: file,
      headers: { 'Content-Type': 'application/geo+json', 'X-CSRF-Token': cfg.csrf || '', Accept: 'application/json' }
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (body) { return { status: r.status, body: body }; });
    });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var file = fileInput.files && fileInput.files[0];
    reset();
    if (!file) { say(t('areas.choose_file'), 'error'); fileInput.focus(); return; }
    checkBtn.disabled = true;
    say(t('areas.checking', { name: file.name }));
    post('/api/v1/admin/areas/check', file).then(function (res) {
      if (res.status !== 200 || !res.body) { refused(res.status, res.body); return; }
      var out = res.body;
      var n = (out.areas && out.areas.features && out.areas.features.length) || 0;
      drawAreas(out.areas);
      showProblems(out.problems || []);
      fitAll();
      if (out.ok) {
        checkedFile = file;
        preview = out.preview || { created: 0, redrawn: 0, unchanged: 0 };
        previewEl.textContent = t('areas.clean', { areas: n, created: preview.created, redrawn: preview.redrawn, unchanged: preview.unchanged });
        importBox.hidden = false;
        say(t('areas.summary_clean', { name: file.name, areas: n }), 'done');
      } else {
        say(t('areas.summary', { name: file.name, areas: n, problems: (out.problems || []).length }), 'error');
      }
    }, function () { say(t('areas.failed_network'), 'error'); }).then(function () { checkBtn.disabled = false; });
  });

  importBtn.addEventListener('click', function () {
    if (!checkedFile || !preview) return;
    confirmText.textContent = t('areas.confirm', { created: preview.created, redrawn: preview.redrawn, unchanged: preview.unchanged });
    confirmBox.hidden = false;
    importBtn.hidden = true;
    yesBtn.focus();
  });
  noBtn.addEventListener('click', function () {
    confirmBox.hidden = true;
    importBtn.hidden = false;
    importBtn.focus();
  });
  yesBtn.addEventListener('click', function () {
    if (!checkedFile) return;
    yesBtn.disabled = true;
    say(t('areas.importing'));
    post('/api/v1/admin/areas/import', checkedFile).then(function (res) {
      if (res.status !== 200 || !res.body) { importBox.hidden = true; refused(res.status, res.body); return; }
      var r = res.body;
      importBox.hidden = true;
      checkedFile = null;
      say(t('areas.imported', { created: r.created || 0, redrawn: r.redrawn || 0, unchanged: r.unchanged || 0 }), 'done');
      status.focus();
    }, function () { say(t('areas.failed_network'), 'error'); }).then(function () { yesBtn.disabled = false; });
  });
  fileInput.addEventListener('change', function () { if (checkedFile) reset(); });
})();
