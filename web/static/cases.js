// civicgrid case pages: the small map of a case, and the live queue. The
// pages are complete without this script; it adds the map and keeps the
// queue current from the server-sent event stream.
(function () {
  'use strict';
  var cfgEl = document.getElementById('cg-config');
  var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : { messages: {} };
  var msgs = cfg.messages || {};
  function t(key) { return msgs[key] || key; }

  // The case's place and grid.
  var el = document.getElementById('case-map');
  if (el && window.L) {
    var lat = Number(el.getAttribute('data-lat')), lng = Number(el.getAttribute('data-lng'));
    el.textContent = '';
    var B = window.cgBasemap;
    var map = L.map(el, { crs: B.crs(cfg), scrollWheelZoom: false }).setView([lat, lng], 17);
    B.add(map, cfg, { grids: true });
    var code = el.getAttribute('data-grid');
    fetch('/api/v1/areas/' + encodeURIComponent(code)).then(function (r) { return r.ok ? r.json() : null; }).then(function (a) {
      if (a && a.geometry) {
        var g = L.geoJSON(a.geometry, { pane: window.cgBasemap.selectionPane(map), interactive: false, style: { color: '#0b4a8b', weight: 3, fillColor: '#5b8fd0', fillOpacity: 0.12 } }).addTo(map);
        map.fitBounds(g.getBounds(), { maxZoom: 18, padding: [12, 12] });
      }
      L.circleMarker([lat, lng], { pane: 'markerPane', radius: 9, color: '#b3261e', weight: 3, fillColor: '#f5a524', fillOpacity: 0.9, className: 'case-marker' }).addTo(map);
      el.setAttribute('data-state', 'ready');
    }).catch(function () {});
  }

  // "Navigate there" in the provider's app, with the point in its datum
  // (the geo: link beside it, in WGS-84, works without this script).
  var nav = document.getElementById('navigate');
  var mc = cfg.map || {};
  if (nav && el && window.cgBasemap && (mc.provider === 'amap' || mc.provider === 'tencent')) {
    var p = window.cgBasemap.toProvider(cfg, Number(el.getAttribute('data-lat')), Number(el.getAttribute('data-lng')));
    var name = encodeURIComponent(nav.getAttribute('data-name') || '');
    var ll = p[0].toFixed(6) + ',' + p[1].toFixed(6), lngLat = p[1].toFixed(6) + ',' + p[0].toFixed(6);
    var a = document.createElement('a');
    a.className = 'button secondary';
    a.setAttribute('data-testid', 'nav-provider');
    a.rel = 'noopener';
    if (mc.provider === 'amap') {
      a.href = 'https://uri.amap.com/marker?position=' + lngLat + '&name=' + name + '&coordinate=gaode&callnative=1&src=civicgrid';
      a.textContent = t('case.navigate_amap');
    } else {
      a.href = 'https://apis.map.qq.com/uri/v1/marker?marker=coord:' + ll + ';title:' + name + '&referer=civicgrid';
      a.textContent = t('case.navigate_tencent');
    }
    nav.appendChild(document.createTextNode(' '));
    nav.appendChild(a);
  }

  // The live queue: every change to a case one may read reloads the list
  // (rendered by the server, in urgency order).
  var list = document.getElementById('queue-list');
  var live = document.getElementById('queue-live');
  if (list && window.EventSource) {
    var timer = null, busy = false;
    var refresh = function () {
      if (busy) { timer = setTimeout(refresh, 300); return; }
      // Keep what someone is typing: do not swap the list under a focused field.
      var active = document.activeElement;
      if (active && list.contains(active) && /INPUT|TEXTAREA|SELECT/.test(active.tagName)) { timer = setTimeout(refresh, 2000); return; }
      busy = true;
      fetch(location.pathname + (location.search ? location.search + '&' : '?') + 'partial=1', { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
        if (html !== null) {
          list.innerHTML = html;
          live.textContent = t('queue.updated');
          list.setAttribute('data-updated', String(Date.now()));
        }
      }).catch(function () {}).then(function () { busy = false; });
    };
    var es = new EventSource('/api/v1/cases/stream');
    var lost = false;
    es.addEventListener('open', function () {
      live.textContent = t('queue.live');
      list.setAttribute('data-live', 'open');
      // Changes made while the stream was down were missed: reload once.
      if (lost) { lost = false; refresh(); }
    });
    es.addEventListener('case', function () { clearTimeout(timer); timer = setTimeout(refresh, 250); });
    es.addEventListener('error', function () { lost = true; live.textContent = t('queue.reconnecting'); });
  }
})();
