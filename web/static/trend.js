// civicgrid dashboard: draws the trend (reports and closed cases per day,
// week or month) with uPlot from the JSON block the page carries. The page
// is complete without it: the table under the chart holds the same figures
// and is what screen readers read (the chart is hidden from them).
(function () {
  'use strict';
  var dataEl = document.getElementById('trend-data');
  var el = document.getElementById('trend-chart');
  if (!dataEl || !el || !window.uPlot) return;
  var d = JSON.parse(dataEl.textContent);
  var n = d.labels.length;
  if (!n) return;
  var xs = [];
  for (var i = 0; i < n; i++) xs.push(i);
  var elder = document.documentElement.classList.contains('elder');
  var font = (elder ? 15 : 12) + 'px system-ui, sans-serif';

  function opts(width) {
    return {
      width: width,
      height: Math.max(200, Math.min(300, Math.round(width * 0.45))),
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: [-0.5, n - 0.5] }, y: { range: function (u, min, max) { return [0, Math.max(4, Math.ceil(max * 1.1))]; } } },
      axes: [
        { font: font, stroke: '#333', grid: { show: false },
          // One label per step that fits, by the bucket's short name.
          space: elder ? 70 : 52,
          incrs: [1, 2, 3, 4, 5, 7, 10, 14, 20, 30, 50],
          values: function (u, splits) { return splits.map(function (s) { return Number.isInteger(s) && d.labels[s] !== undefined ? d.labels[s] : ''; }); } },
        { font: font, stroke: '#333', size: elder ? 56 : 44, grid: { stroke: '#e4e7eb' },
          values: function (u, splits) { return splits.map(function (s) { return Number.isInteger(s) ? String(s) : ''; }); } }
      ],
      series: [
        {},
        { label: d.messages.received, stroke: '#0b4a8b', width: 2, fill: 'rgba(11,74,139,0.08)', points: { show: n <= 60, size: 6 } },
        { label: d.messages.closed, stroke: '#2e7d32', width: 2, dash: [6, 3], points: { show: n <= 60, size: 6 } }
      ]
    };
  }

  el.textContent = '';
  el.parentNode.hidden = false; // the figure waits for the script
  var plot = new uPlot(opts(el.clientWidth || 320), [xs, d.received, d.closed], el);
  // Our own legend: words from the page, swatches matching the lines.
  var legend = document.createElement('p');
  legend.className = 'chart-legend';
  [['recv', d.messages.received], ['closed', d.messages.closed]].forEach(function (s) {
    var item = document.createElement('span');
    var sw = document.createElement('span');
    sw.className = 'swatch-line ' + s[0];
    item.appendChild(sw);
    item.appendChild(document.createTextNode(s[1]));
    legend.appendChild(item);
  });
  el.appendChild(legend);
  var last = el.clientWidth;
  window.addEventListener('resize', function () {
    if (el.clientWidth && el.clientWidth !== last) {
      last = el.clientWidth;
      var o = opts(last);
      plot.setSize({ width: o.width, height: o.height });
    }
  });
  el.setAttribute('data-state', 'ready');
})();
