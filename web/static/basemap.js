// civicgrid base map, shared by the map, report and case pages: the map's
// projection, its base layer and the place search.
//
// Coordinates are WGS-84 everywhere in the pages, as civicgrid stores them.
// On a GCJ-02 provider (AMap, Tencent) the map's projection shifts each
// WGS-84 point onto the tiles' datum with gcoord before projecting it, and
// shifts back when turning a pixel into a place, so GeoJSON, markers, taps,
// bounds and the map's centre all stay WGS-84 and still line up with the
// tiles. Without a provider the city's own base layer (streets, buildings,
// names from the area registry) is drawn from /api/v1/basemap.geojson, which
// also gives the grid outlines of pages that do not draw grids themselves.
(function () {
  'use strict';

  function mapCfg(cfg) { return (cfg && cfg.map) || { provider: 'none', datum: 'wgs84' }; }
  function isGCJ(cfg) { return mapCfg(cfg).datum === 'gcj02' && !!window.gcoord; }

  // crs is the Leaflet CRS for the configured datum.
  function crs(cfg) {
    if (!isGCJ(cfg)) return L.CRS.EPSG3857;
    var merc = L.Projection.SphericalMercator, g = window.gcoord;
    var projection = L.extend({}, merc, {
      project: function (ll) {
        var p = g.transform([ll.lng, ll.lat], g.WGS84, g.GCJ02);
        return merc.project(L.latLng(p[1], p[0]));
      },
      unproject: function (pt) {
        var ll = merc.unproject(pt);
        var p = g.transform([ll.lng, ll.lat], g.GCJ02, g.WGS84);
        return L.latLng(p[1], p[0]);
      }
    });
    return L.extend({}, L.CRS.EPSG3857, { code: 'EPSG:3857+GCJ-02', projection: projection });
  }

  // toProvider gives a WGS-84 point in the provider's datum [lat, lng], for
  // links into the provider's app.
  function toProvider(cfg, lat, lng) {
    if (!isGCJ(cfg)) return [lat, lng];
    var p = gcoord.transform([lng, lat], gcoord.WGS84, gcoord.GCJ02);
    return [p[1], p[0]];
  }

  // The city's own base layer: streets (the outlines of streets and
  // communities), building footprints and names, reloaded for the view.
  // layers: what /api/v1/basemap.geojson draws (streets, buildings, labels,
  // grids).
  function vectorLayer(map, layers, opts) {
    map.createPane('basemap');
    var pane = map.getPane('basemap');
    pane.style.zIndex = 410; // over grid fills, under outlines that matter
    pane.style.pointerEvents = 'none';
    map.createPane('basemapLabels');
    map.getPane('basemapLabels').style.zIndex = 580;
    map.getPane('basemapLabels').style.pointerEvents = 'none';
    var renderer = L.svg({ pane: 'basemap', padding: 0.3 });
    var roadStyle = function (casing) {
      return function (f) {
        var major = f.properties.class === 'major';
        return { color: casing ? '#b9b1a5' : '#ffffff', weight: (major ? 7 : 4) + (casing ? 2.5 : 0), opacity: 1, lineCap: 'round', lineJoin: 'round', className: casing ? 'basemap-casing' : 'basemap-road' };
      };
    };
    var only = function (kind) { return function (f) { return f.properties.kind === kind; }; };
    var casing = L.geoJSON(null, { renderer: renderer, interactive: false, filter: only('road'), style: roadStyle(true) }).addTo(map);
    var roads = L.geoJSON(null, { renderer: renderer, interactive: false, filter: only('road'), style: roadStyle(false) }).addTo(map);
    var grids = L.geoJSON(null, {
      renderer: renderer, interactive: false, filter: only('grid'),
      style: { color: '#5b6b7f', weight: 1.5, opacity: 0.85, dashArray: '5 4', lineCap: 'butt', className: 'basemap-grid' }
    }).addTo(map);
    var buildings = L.geoJSON(null, {
      renderer: renderer, interactive: false, filter: only('building'),
      style: { color: '#a89c8f', weight: 1, fillColor: '#ddd3c8', fillOpacity: 1, className: 'basemap-building' }
    }).addTo(map);
    var labels = L.layerGroup().addTo(map);
    var ctl = null, timer = null;
    var skip = (opts && opts.skipLabels) || [];

    function label(at, text, cls) {
      var span = document.createElement('span');
      span.textContent = text;
      L.marker(at, {
        pane: 'basemapLabels', interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'base-label ' + cls, html: span, iconSize: null })
      }).addTo(labels);
    }

    function load() {
      if (ctl) ctl.abort();
      ctl = window.AbortController ? new AbortController() : null;
      var b = map.getBounds().pad(0.2), z = Math.round(map.getZoom());
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(',');
      map.getContainer().setAttribute('data-basemap', 'loading');
      fetch('/api/v1/basemap.geojson?zoom=' + z + '&layers=' + layers.join(',') + '&bbox=' + bbox, { signal: ctl && ctl.signal })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (fc) {
          if (!fc) { map.getContainer().setAttribute('data-basemap', 'error'); return; }
          [casing, roads, grids, buildings, labels].forEach(function (l) { l.clearLayers(); });
          casing.addData(fc); roads.addData(fc); grids.addData(fc); buildings.addData(fc);
          var placed = [];
          fc.features.forEach(function (f) {
            var p = f.properties;
            if (!p.label || skip.indexOf(p.level) >= 0) return;
            var at = p.kind === 'label' ? L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]) : L.geoJSON(f).getBounds().getCenter();
            // Leave out a label that would overlap one already placed.
            var pt = map.latLngToContainerPoint(at), half = p.label.length * 7 + 4;
            var box = [pt.x - half, pt.y - 10, pt.x + half, pt.y + 10];
            for (var i = 0; i < placed.length; i++) {
              var o = placed[i];
              if (box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]) return;
            }
            placed.push(box);
            label(at, p.label, 'level-' + (p.level || p.kind));
          });
          map.getContainer().setAttribute('data-basemap', 'ready');
        })
        .catch(function (e) { if (!e || e.name !== 'AbortError') map.getContainer().setAttribute('data-basemap', 'error'); });
    }
    map.on('moveend', function () { clearTimeout(timer); timer = setTimeout(load, 150); });
    map.whenReady(load);
  }

  // add draws the configured base map on map: the provider's tiles, or
  // else the city's own base layer. opts.grids adds the grid outlines (for
  // pages that do not draw the grids themselves); opts.skipLabels leaves out
  // names of those levels.
  function add(map, cfg, opts) {
    opts = opts || {};
    var m = mapCfg(cfg);
    if (m.tiles && m.tiles.length) {
      var attribution = document.createElement('span');
      attribution.textContent = m.attribution || '';
      m.tiles.forEach(function (url, i) {
        L.tileLayer(url, {
          maxZoom: 19, maxNativeZoom: 18, subdomains: m.subdomains || 'abc',
          attribution: i === 0 ? attribution.innerHTML : '', className: 'basemap-tiles'
        }).addTo(map);
      });
      if (opts.grids) vectorLayer(map, ['grids'], opts);
      return;
    }
    map.getContainer().classList.add('basemap-own');
    vectorLayer(map, ['streets', 'buildings', 'labels'].concat(opts.grids ? ['grids'] : []), opts);
  }

  // search wires a place search box (the "placesearch" partial) to
  // /api/v1/places; onPick gets the chosen place (WGS-84 lat, lng, bbox).
  function search(root, t, onPick) {
    if (!root) return;
    var input = root.querySelector('input');
    var button = root.querySelector('button');
    var list = root.querySelector('.place-results');
    var status = root.querySelector('.place-status');
    var seq = 0;
    root.hidden = false;
    function run() {
      var q = input.value.trim();
      list.textContent = '';
      if (!q) { status.textContent = ''; return; }
      var mine = ++seq;
      status.textContent = t('places.searching');
      fetch('/api/v1/places?limit=8&q=' + encodeURIComponent(q), { headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (res) {
          if (mine !== seq) return;
          var places = res.places || [];
          status.textContent = places.length ? t('places.found', { n: places.length }) : t('places.none');
          places.forEach(function (p) {
            var li = document.createElement('li');
            var b = document.createElement('button');
            b.type = 'button';
            b.className = 'place';
            b.setAttribute('data-code', p.code);
            var name = document.createElement('span');
            name.className = 'place-name';
            name.textContent = p.name;
            var ctx = document.createElement('span');
            ctx.className = 'place-context';
            ctx.textContent = [t('level.' + p.level)].concat(p.context ? [p.context] : []).join(' · ');
            b.appendChild(name);
            b.appendChild(ctx);
            b.addEventListener('click', function () {
              list.textContent = '';
              status.textContent = t('places.picked', { name: p.name });
              onPick(p);
            });
            li.appendChild(b);
            list.appendChild(li);
          });
        }, function () { if (mine === seq) status.textContent = t('places.failed'); });
    }
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') { e.preventDefault(); run(); }
    });
    button.addEventListener('click', run);
  }

  // startView centres the map on the user's position when they have already
  // allowed location (no prompt on load); else it leaves the city's view.
  function startView(map, zoom) {
    if (!navigator.permissions || !navigator.geolocation) return;
    navigator.permissions.query({ name: 'geolocation' }).then(function (st) {
      if (st.state !== 'granted') return;
      navigator.geolocation.getCurrentPosition(function (pos) {
        map.setView([pos.coords.latitude, pos.coords.longitude], zoom || 16);
      }, function () {}, { maximumAge: 300000, timeout: 10000 });
    }, function () {});
  }

  // selectionPane is the pane for what a page marks on the base map (the
  // chosen grid): above streets and buildings, below names and pins.
  function selectionPane(map) {
    if (!map.getPane('selection')) {
      map.createPane('selection');
      map.getPane('selection').style.zIndex = 420;
      map.getPane('selection').style.pointerEvents = 'none';
    }
    return 'selection';
  }

  window.cgBasemap = { crs: crs, add: add, toProvider: toProvider, search: search, startView: startView, selectionPane: selectionPane };
})();
