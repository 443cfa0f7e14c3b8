// civicgrid console: the chosen case opens in the pane without a reload,
// the checked cases are counted, and the keyboard works the list (j/k, Enter,
// x, r, d, ?). The page is complete without this script: each case's link
// shows the page with that case in the pane, and the batch form posts.
(function () {
  'use strict';
  var cfgEl = document.getElementById('cg-config');
  var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : { messages: {} };
  var msgs = cfg.messages || {};
  function t(key, vars) {
    var s = msgs[key] || key;
    Object.keys(vars || {}).forEach(function (k) { s = s.split('{' + k + '}').join(vars[k]); });
    return s;
  }
  var rows = document.getElementById('case-rows');
  var pane = document.getElementById('pane');
  var body = document.querySelector('.console-body');
  if (!rows || !pane) return;

  function links() { return Array.prototype.slice.call(rows.querySelectorAll('.row-link')); }
  function current() {
    var a = document.activeElement;
    if (a && a.classList && a.classList.contains('row-link')) return a;
    return rows.querySelector('.row-link[aria-current="true"]');
  }

  function open(link, focusPane) {
    var url = link.getAttribute('href');
    links().forEach(function (l) {
      l.removeAttribute('aria-current');
      l.parentNode.classList.remove('selected');
    });
    link.setAttribute('aria-current', 'true');
    link.parentNode.classList.add('selected');
    pane.setAttribute('aria-busy', 'true');
    return fetch(url + (url.indexOf('?') < 0 ? '?' : '&') + 'partial=pane', { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        pane.innerHTML = html;
        body.classList.add('has-pane');
        history.replaceState(null, '', url);
        if (focusPane) {
          pane.focus();
          pane.scrollIntoView({ block: 'start' });
        }
      })
      .catch(function () {
        pane.innerHTML = '<h2 id="pane-heading">' + t('console.pane_heading') + '</h2><p class="error" role="alert"></p>';
        pane.querySelector('.error').textContent = t('console.pane_failed');
      })
      .then(function () { pane.removeAttribute('aria-busy'); });
  }

  rows.addEventListener('click', function (e) {
    var link = e.target.closest && e.target.closest('.row-link');
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    open(link, true);
  });
  pane.addEventListener('click', function (e) {
    var close = e.target.closest && e.target.closest('[data-close]');
    if (!close) return;
    e.preventDefault();
    var link = current();
    pane.innerHTML = '<h2 id="pane-heading">' + t('console.pane_heading') + '</h2><p class="hint pane-empty"></p>';
    pane.querySelector('.pane-empty').textContent = t('console.pane_empty');
    body.classList.remove('has-pane');
    history.replaceState(null, '', close.getAttribute('href'));
    if (link) link.focus();
  });

  // The batch: count the checked cases; the buttons wait for one.
  var batch = document.getElementById('batch');
  var count = document.getElementById('batch-count');
  function checked() { return Array.prototype.slice.call(rows.querySelectorAll('input[name="id"]:checked')); }
  function recount() {
    if (!batch) return;
    var n = checked().length;
    if (count) count.textContent = n ? t('console.batch_checked', { n: n }) : '';
    batch.querySelectorAll('button[data-batch]').forEach(function (b) { b.disabled = n === 0; });
  }
  rows.addEventListener('change', recount);
  recount();

  // The keyboard, outside of fields: j/k move, Enter opens (the link's
  // own), x checks, r registers, d dispatches, ? shows the help.
  var help = document.getElementById('shortcuts');
  function act(action) {
    if (batch && checked().length) {
      var b = batch.querySelector('button[data-batch="' + action + '"]');
      if (b) { b.click(); return; }
    }
    var form = pane.querySelector('form[data-action="' + action + '"]');
    if (form) {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  }
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var el = e.target;
    // Letters type into fields; a checkbox or a button takes none.
    if (el && (el.isContentEditable || /^(SELECT|TEXTAREA)$/.test(el.tagName) ||
        (el.tagName === 'INPUT' && !/^(checkbox|radio)$/.test(el.type)))) return;
    var all = links();
    var at = all.indexOf(current());
    switch (e.key) {
      case 'j':
      case 'k': {
        if (!all.length) return;
        var next = e.key === 'j' ? Math.min(all.length - 1, at + 1) : Math.max(0, at < 0 ? 0 : at - 1);
        all[next].focus();
        all[next].scrollIntoView({ block: 'nearest' });
        break;
      }
      case 'x': {
        var link = current();
        var box = link && link.parentNode.querySelector('input[name="id"]');
        if (box) { box.checked = !box.checked; recount(); }
        break;
      }
      case 'r': act('register'); break;
      case 'd': act('dispatch'); break;
      case '?':
        if (help) {
          help.open = !help.open;
          if (help.open) help.querySelector('summary').focus();
        }
        break;
      default:
        return;
    }
    e.preventDefault();
  });
})();
