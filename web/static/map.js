// civicgrid map page. The page works without this script (find-by-code and
// the district list are plain links and forms); the script draws the grids
// with Leaflet from the JSON API, opens a panel for a grid that is clicked or
// looked up, and answers "which grid is this place in". Every text it shows
// comes from the page's message catalogue (the #cg-config JSON block).
(function () {
  'use strict';

  var cfgEl = document.getElementById('cg-config');
  var mapEl = document.getElementById('map');
  if (!cfgEl || !mapEl) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var messages = cfg.messages || {};

  function t(key, vars) {
    var s = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    return !vars ? s : s.replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m;
    });
  }

  if (!window.L) {
    // The page was built without the vendored map files (the server has
    // already said so), or they failed to load.
    if (!document.getElementById('map-fallback')) {
      mapEl.appendChild(el('p', { id: 'map-fallback', class: 'map-fallback warning' }, t('map.assets_missing')));
    }
    mapEl.setAttribute('data-state', 'error');
    return;
  }
  while (mapEl.firstChild) mapEl.removeChild(mapEl.firstChild);

  var statusEl = document.getElementById('map-status');
  var panel = document.getElementById('grid-panel');
  var panelTitle = document.getElementById('grid-panel-title');
  var panelBody = document.getElementById('grid-panel-body');
  var closeBtn = document.getElementById('grid-panel-close');
  var form = document.querySelector('form.find');
  var input = document.getElementById('find-code');
  var findError = document.getElementById('find-error');
  var locateBtn = document.getElementById('locate-me');
  var reduceMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  var byCode = new Map(); // grid code → its Leaflet layer
  var selected = null; // code of the grid in the panel
  var selSeq = 0; // guards against answers arriving after a newer selection
  var bboxMode = false; // the city is too large to load whole: load the view
  var loadCtl = null;

  // ---- helpers ----

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) e.textContent = text;
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function getJSON(url, signal) {
    return fetch(url, { signal: signal, headers: { Accept: 'application/json' } }).then(function (r) {
      if (!r.ok) {
        var err = new Error('HTTP ' + r.status);
        err.status = r.status;
        throw err;
      }
      return r.json();
    });
  }

  // The status line over the map; a message left standing (that the grids
  // shown are only some) comes back when a passing one is cleared.
  var standing = '';
  function setStatus(msg, kind) {
    if (!msg && standing) {
      msg = standing;
      kind = 'warning';
    }
    statusEl.textContent = msg || '';
    statusEl.hidden = !msg;
    statusEl.className = 'map-status' + (kind ? ' ' + kind : '');
  }

  // Codes are typed on phones: drop spaces and dashes, turn full-width digits
  // from Chinese input methods into ASCII (the server does the same).
  function normalizeCode(s) {
    return s.replace(/[\s\u3000-]/g, '').replace(/[\uFF10-\uFF19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFF10 + 48);
    });
  }

  function wellFormed(code) {
    return /^\d+$/.test(code) && [6, 9, 12, 15, 19].indexOf(code.length) >= 0;
  }

  function showBounds(bounds) {
    if (!bounds || !bounds.isValid()) return;
    var opts = { padding: [40, 40], maxZoom: 17 };
    if (reduceMotion) map.fitBounds(bounds, opts);
    else map.flyToBounds(bounds, L.extend({ duration: 0.8 }, opts));
  }

  // ---- the map ----

  var center = cfg.center ? [cfg.center[1], cfg.center[0]] : [35, 105];
  // zoomSnap 0.25 lets a whole city fill the screen rather than the next whole zoom level down.
  var B = window.cgBasemap;
  // The map's CRS shifts WGS-84 onto a GCJ-02 provider's tiles: everything
  // below stays WGS-84 (GeoJSON, clicks, bounds).
  var map = L.map(mapEl, { crs: B.crs(cfg), zoomControl: false, minZoom: 3, maxZoom: 19, zoomSnap: 0.25 });
  map.setView(center, cfg.center ? cfg.zoom || 12 : 4);
  L.control.zoom({ position: 'topright', zoomInTitle: t('map.zoom_in'), zoomOutTitle: t('map.zoom_out') }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com/">Leaflet</a>');
  B.add(map, cfg);

  // Volunteer service points (服务站/驿站) of the visitor's communities:
  // a marker each, its name, opening hours and what it offers in a popup.
  (cfg.points || []).forEach(function (pt) {
    var box = el('div', { class: 'point-popup' });
    box.appendChild(el('strong', null, pt.name));
    box.appendChild(el('p', null, t('map.point_hours', { hours: pt.hours })));
    box.appendChild(el('p', null, t('map.point_offers', { offers: pt.offers })));
    L.circleMarker([pt.lat, pt.lng], { radius: 9, color: '#7c2d12', weight: 3, fillColor: '#f97316', fillOpacity: 0.95, className: 'service-point' })
      .bindPopup(box).bindTooltip(pt.name).addTo(map);
  });
  // Over tiles the grids are see-through, so the streets under them show.
  var hasTiles = !!(cfg.map && cfg.map.tiles && cfg.map.tiles.length);

  // Community boundaries sit above the grids but let clicks through to them.
  map.createPane('communities');
  map.getPane('communities').style.zIndex = 450;
  map.getPane('communities').style.pointerEvents = 'none';

  // Soft fills that differ between neighbouring communities (consecutive codes).
  var fills = ['#dbeafe', '#dcfce7', '#fef3c7', '#fce7f3', '#e0e7ff', '#ccfbf1', '#ffedd5'];
  function fillFor(parent) {
    var n = parseInt(String(parent || '0').slice(-3), 10) + 3 * parseInt(String(parent || '0').slice(-6, -3) || '0', 10);
    return fills[(isNaN(n) ? 0 : n) % fills.length];
  }
  function gridStyle(feature) {
    return { color: '#5b6b7f', weight: 1, opacity: 0.9, fillColor: fillFor(feature.properties.parent), fillOpacity: hasTiles ? 0.3 : 0.75 };
  }
  var hoverStyle = { color: '#1d4ed8', weight: 2.5 };
  var selectedStyle = { color: '#b45309', weight: 3.5, fillColor: '#fbbf24', fillOpacity: hasTiles ? 0.45 : 0.8 };

  var gridLayer = L.geoJSON(null, {
    style: gridStyle,
    onEachFeature: function (feature, layer) {
      var code = feature.properties && feature.properties.code;
      if (!code) return;
      byCode.set(code, layer);
      layer.on('click', function (e) {
        L.DomEvent.stopPropagation(e);
        selectGrid(code, {});
      });
      layer.on('mouseover', function () { if (code !== selected) layer.setStyle(hoverStyle); });
      layer.on('mouseout', function () { if (code !== selected) gridLayer.resetStyle(layer); });
    }
  }).addTo(map);
  var communityLayer = L.geoJSON(null, {
    pane: 'communities', interactive: false,
    style: { color: '#1e3a8a', weight: 3, opacity: 0.85, fill: false }
  }).addTo(map);
  var labelLayer = L.layerGroup().addTo(map);
  var hereMarker = null;

  var legend = L.control({ position: 'bottomleft' });
  legend.onAdd = function () {
    var div = L.DomUtil.create('div', 'legend');
    L.DomEvent.disableClickPropagation(div);
    div.appendChild(el('span', { class: 'visually-hidden' }, t('map.legend_label')));
    var ul = el('ul');
    [['', 'map.legend_grid'], ['community', 'map.legend_community'], ['selected', 'map.legend_selected']].forEach(function (item) {
      var li = el('li');
      li.appendChild(el('span', { class: 'swatch ' + item[0], 'aria-hidden': 'true' }));
      li.appendChild(document.createTextNode(t(item[1])));
      ul.appendChild(li);
    });
    div.appendChild(ul);
    return div;
  };
  legend.addTo(map);

  // Labels: the last 3 digits of each code when grids are big enough on
  // screen, names when there is room, nothing when grids are tiny; a label
  // that would overlap one already placed is left out.
  var communityNames = {};
  function shortName(p) {
    // "三阳社区第一网格" in 三阳社区 reads "第一网格" on the map.
    var c = communityNames[p.parent];
    return c && p.name.indexOf(c) === 0 && p.name.length > c.length ? p.name.slice(c.length) : p.name;
  }
  function updateLabels() {
    labelLayer.clearLayers();
    var view = map.getBounds().pad(0.1);
    var items = [];
    gridLayer.eachLayer(function (layer) {
      var b = layer.getBounds();
      if (!view.intersects(b)) return;
      var sw = map.latLngToContainerPoint(b.getSouthWest());
      var ne = map.latLngToContainerPoint(b.getNorthEast());
      items.push({ layer: layer, w: ne.x - sw.x, h: sw.y - ne.y });
    });
    if (!items.length) return;
    var sizes = items.map(function (i) { return Math.min(i.w, i.h); }).sort(function (a, b) { return a - b; });
    var typical = sizes[Math.floor(sizes.length / 2)];
    if (typical < 30) return;
    var names = typical >= 110;
    var small = typical < 44;
    var placed = [];
    items.forEach(function (item) {
      var p = item.layer.feature.properties;
      var useName = names && !!p.name;
      var text = useName ? shortName(p) : p.code.slice(-3);
      var at = item.layer.getCenter();
      var pt = map.latLngToContainerPoint(at);
      var maxW = Math.max(30, item.w - 12);
      var half = Math.min(maxW, useName ? text.length * 14 : small ? 22 : 26) / 2 + 2;
      var box = [pt.x - half, pt.y - 11, pt.x + half, pt.y + 11];
      for (var i = 0; i < placed.length; i++) {
        var o = placed[i];
        if (box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]) return;
      }
      placed.push(box);
      var span = el('span', null, text);
      if (useName) span.style.maxWidth = Math.round(maxW) + 'px';
      L.marker(at, {
        icon: L.divIcon({ className: 'grid-label' + (useName ? ' name' : small ? ' small' : ''), html: span, iconSize: null }),
        interactive: false, keyboard: false
      }).addTo(labelLayer);
    });
  }

  function highlight(code) {
    if (selected && byCode.has(selected)) gridLayer.resetStyle(byCode.get(selected));
    selected = code;
    var layer = code && byCode.get(code);
    if (layer) {
      layer.setStyle(selectedStyle);
      layer.bringToFront();
    }
  }

  function bboxParam() {
    var b = map.getBounds().pad(0.25);
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x) { return x.toFixed(5); }).join(',');
  }

  function geojsonURL(level) {
    return '/api/v1/areas.geojson?level=' + level + (bboxMode ? '&bbox=' + bboxParam() : '');
  }

  function loadAreas(first) {
    if (loadCtl) loadCtl.abort();
    var ctl = loadCtl = new AbortController();
    mapEl.setAttribute('data-state', 'loading');
    if (first) setStatus(t('map.loading')); // not on every pan of a large city
    return Promise.all([
      getJSON(geojsonURL('grid'), ctl.signal),
      // Community outlines are an aid: the map works without them.
      getJSON(geojsonURL('community'), ctl.signal).catch(function (e) {
        if (e.name === 'AbortError') throw e;
        return null;
      })
    ]).then(function (res) {
      if (ctl !== loadCtl) return;
      var grids = res[0], communities = res[1];
      gridLayer.clearLayers();
      byCode.clear();
      gridLayer.addData(grids);
      // The code on each path lets tests and tools find a grid on screen.
      gridLayer.eachLayer(function (layer) {
        var path = layer.getElement && layer.getElement();
        if (path) path.setAttribute('data-code', layer.feature.properties.code);
      });
      communityLayer.clearLayers();
      if (communities) {
        communityLayer.addData(communities);
        communities.features.forEach(function (f) { communityNames[f.properties.code] = f.properties.name; });
      }
      if (selected) highlight(selected);

      if (first && grids.truncated) {
        // Too many grids for one answer: from now on load what is in view.
        bboxMode = true;
        map.on('moveend', scheduleLoad);
        return loadAreas(false);
      }
      // No animation, so the grids are where they will stay once the page says it is ready.
      if (first && gridLayer.getLayers().length) map.fitBounds(gridLayer.getBounds(), { padding: [16, 16], animate: false });
      updateLabels();
      standing = grids.truncated ? t('map.truncated') : '';
      setStatus(gridLayer.getLayers().length || bboxMode ? '' : t('map.no_grids'));
      mapEl.setAttribute('data-state', 'ready');
    }).catch(function (e) {
      if (e.name === 'AbortError') return;
      mapEl.setAttribute('data-state', 'error');
      setStatus(t('map.load_failed'), 'warning');
    });
  }

  var loadTimer = null;
  function scheduleLoad() {
    clearTimeout(loadTimer);
    loadTimer = setTimeout(function () { loadAreas(false); }, 250);
  }

  map.on('zoomend moveend', updateLabels);

  // ---- the panel ----

  function row(dl, label, value) {
    var div = el('div');
    div.appendChild(el('dt', null, label));
    var dd = el('dd');
    if (value instanceof Node) dd.appendChild(value);
    else dd.textContent = value;
    div.appendChild(dd);
    dl.appendChild(div);
  }

  function areaLink(ref) {
    if (!ref) return '—';
    return el('a', { href: '/grids/' + encodeURIComponent(ref.code) }, ref.name || ref.code);
  }

  // info: code, name, workers, and ancestors (by level) once known;
  // ancestorsFailed when they could not be fetched.
  function renderPanel(info) {
    panelTitle.textContent = info.name || t('panel.grid_named', { code: info.code });
    closeBtn.hidden = false;
    clear(panelBody);
    var dl = el('dl');
    row(dl, t('panel.code'), el('span', { class: 'code-value', 'data-testid': 'grid-code' }, info.code));
    if (info.name) row(dl, t('panel.name'), info.name);
    ['community', 'street', 'district'].forEach(function (level) {
      var v = info.ancestors ? areaLink(info.ancestors[level]) : t(info.ancestorsFailed ? 'panel.unavailable' : 'panel.loading');
      row(dl, t('panel.' + level), v);
    });
    var workers = info.workers || [];
    if (workers.length) {
      var ul = el('ul', { class: 'workers', 'data-testid': 'grid-workers' });
      workers.forEach(function (w) {
        var li = el('li');
        li.appendChild(el('span', { class: 'worker-name' }, w.name));
        li.appendChild(el('span', { class: 'phone' }, w.phone));
        ul.appendChild(li);
      });
      row(dl, t('panel.workers'), ul);
    } else {
      row(dl, t('panel.workers'), t('panel.no_workers'));
    }
    panelBody.appendChild(dl);
    if (info.onBoundary) panelBody.appendChild(el('p', { class: 'note' }, t('panel.on_boundary')));
    panelBody.appendChild(el('a', { class: 'button secondary', href: '/grids/' + encodeURIComponent(info.code) }, t('panel.details')));
  }

  function ancestorsByLevel(area) {
    var out = {};
    (area.ancestors || []).forEach(function (a) { out[a.level] = a; });
    return out;
  }

  // revealPanel scrolls the panel into view on phones, where it sits below
  // the map, and moves focus to it after a keyboard-driven lookup.
  function revealPanel(focus) {
    if (focus) panel.focus({ preventScroll: true });
    var r = panel.getBoundingClientRect();
    if (r.top > window.innerHeight - 80 || r.bottom < 0) {
      panel.scrollIntoView({ block: 'nearest', behavior: reduceMotion ? 'auto' : 'smooth' });
    }
  }

  function setHash(code) {
    var hash = code ? '#code=' + code : '';
    if (history.replaceState) history.replaceState(null, '', location.pathname + location.search + hash);
    // Keep the selection when the language is switched.
    document.querySelectorAll('a[data-lang-switch]').forEach(function (a) {
      a.setAttribute('href', a.getAttribute('href').split('#')[0] + hash);
    });
  }

  // selectGrid shows a grid in the panel. It resolves to true when the grid
  // exists, false when the API does not know it; it rejects on other errors.
  function selectGrid(code, opts) {
    var seq = ++selSeq;
    setStatus('');
    var layer = byCode.get(code);
    highlight(layer ? code : null);
    var info = { code: code, onBoundary: !!opts.onBoundary };
    if (layer) {
      var p = layer.feature.properties;
      info.name = p.name;
      info.workers = p.workers;
      renderPanel(info);
      setHash(code);
      if (opts.fly) showBounds(layer.getBounds().pad(0.6)); // with its neighbours for context
      revealPanel(opts.focus);
    }
    return getJSON('/api/v1/areas/' + encodeURIComponent(code)).then(function (area) {
      if (seq !== selSeq) return true;
      if (!layer) {
        if (area.level !== 'grid') {
          // Not a grid: its own page lists what it holds.
          location.href = '/grids/' + encodeURIComponent(code);
          return true;
        }
        selected = code;
        info.name = area.name;
        setHash(code);
        if (area.geometry) showBounds(L.geoJSON(area.geometry).getBounds().pad(0.6));
      }
      info.workers = area.workers || info.workers;
      info.ancestors = ancestorsByLevel(area);
      renderPanel(info);
      if (!layer) revealPanel(opts.focus);
      return true;
    }, function (err) {
      if (seq !== selSeq) return true;
      if (!layer) {
        if (err.status === 404) return false;
        throw err;
      }
      info.ancestorsFailed = true;
      renderPanel(info);
      return true;
    });
  }

  function closePanel() {
    selSeq++;
    highlight(null);
    setHash('');
    panelTitle.textContent = t('panel.title');
    closeBtn.hidden = true;
    clear(panelBody);
    panelBody.appendChild(el('p', { class: 'hint' }, t('panel.hint')));
    mapEl.focus({ preventScroll: true });
  }
  closeBtn.addEventListener('click', closePanel);
  panel.hidden = false;

  // ---- which grid is this place in ----

  function locateAt(lat, lng, opts) {
    return getJSON('/api/v1/locate?lat=' + lat.toFixed(7) + '&lng=' + lng.toFixed(7)).then(function (res) {
      setStatus('');
      return selectGrid(res.grid.code, { fly: opts.fly, focus: opts.focus, onBoundary: res.on_boundary });
    }, function (err) {
      setStatus(t(err.status === 422 ? 'map.outside' : 'find.err_failed'), 'warning');
    });
  }

  map.on('click', function (e) {
    locateAt(e.latlng.lat, e.latlng.lng, {});
  });

  if (locateBtn && navigator.geolocation) {
    locateBtn.hidden = false;
    locateBtn.addEventListener('click', function () {
      setStatus(t('map.locating'));
      navigator.geolocation.getCurrentPosition(function (pos) {
        // Browsers report WGS-84, as civicgrid stores.
        var ll = [pos.coords.latitude, pos.coords.longitude];
        if (hereMarker) map.removeLayer(hereMarker);
        hereMarker = L.circleMarker(ll, {
          pane: 'markerPane', radius: 8, color: '#fff', weight: 3, fillColor: '#1d4ed8', fillOpacity: 1
        }).bindTooltip(t('map.you_are_here')).addTo(map);
        locateAt(ll[0], ll[1], { fly: true, focus: true });
      }, function () {
        setStatus(t('map.locate_failed'), 'warning');
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // ---- find a place by name ----

  B.search(document.getElementById('place-search'), t, function (p) {
    if (p.level === 'grid' || p.level === 'building') {
      locateAt(p.lat, p.lng, { fly: true, focus: true }).then(function () {
        if (p.level !== 'building') return;
        if (hereMarker) map.removeLayer(hereMarker);
        hereMarker = L.circleMarker([p.lat, p.lng], {
          pane: 'markerPane', radius: 8, color: '#fff', weight: 3, fillColor: '#b45309', fillOpacity: 1
        }).bindTooltip(p.name).addTo(map);
      });
    } else if (p.bbox) {
      showBounds(L.latLngBounds([p.bbox[1], p.bbox[0]], [p.bbox[3], p.bbox[2]]));
    }
  });

  // ---- find by code ----

  function showFindError(msg) {
    findError.textContent = msg;
    findError.hidden = !msg;
    if (msg) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  if (form && input && findError) {
    form.addEventListener('submit', function (ev) {
      var raw = input.value.trim();
      var code = normalizeCode(raw);
      if (!code) {
        ev.preventDefault();
        showFindError(t('find.err_empty'));
        input.focus();
        return;
      }
      if (!wellFormed(code)) {
        ev.preventDefault();
        showFindError(t('find.err_malformed', { code: raw }));
        input.focus();
        return;
      }
      if (code.length !== 15) return; // a district, street or community: its own page
      ev.preventDefault();
      showFindError('');
      selectGrid(code, { fly: true, focus: true }).then(function (found) {
        if (!found) showFindError(t('find.err_unknown', { code: code }));
      }, function () {
        showFindError(t('find.err_failed'));
      });
    });
  }

  // ---- start ----

  loadAreas(true).then(function () {
    var m = /^#code=(\d+)$/.exec(location.hash);
    if (!m) {
      // Near the user when they have allowed location before; else the city.
      B.startView(map, 16);
      return;
    }
    if (m[1].length === 15) {
      selectGrid(m[1], { fly: true });
    } else {
      getJSON('/api/v1/areas/' + m[1]).then(function (area) {
        if (area.bbox) showBounds(L.latLngBounds([area.bbox[1], area.bbox[0]], [area.bbox[3], area.bbox[2]]));
      }, function () {});
    }
  });
})();
