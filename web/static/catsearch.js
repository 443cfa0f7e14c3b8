// civicgrid report page, the category step: the headings in residents'
// words fold (the one holding the chosen category and "other" stay open),
// and a search box filters the categories by their names, their heading,
// keywords and synonyms (each label's data-search), forgiving a typo: a
// Chinese word matches when all but one of its characters do (most of a
// long one), a Latin word within one edit (two for long words). Without
// this script the page is a plain grouped radio list.
(function () {
  'use strict';
  var box = document.getElementById('cat-search-box');
  var input = document.getElementById('cat-search');
  if (!box || !input) return;
  var msgs = (window.cgPhotos && window.cgPhotos.cfg.messages) || {};
  var status = document.getElementById('cat-search-status');
  var groups = Array.prototype.slice.call(document.querySelectorAll('details.cat-group'));
  var labels = Array.prototype.slice.call(document.querySelectorAll('label.cat[data-search]'));

  function t(key, n) { return (msgs[key] || key).split('{n}').join(n); }
  function norm(s) { return (s.normalize ? s.normalize('NFKC') : s).toLowerCase(); }
  function isCJK(ch) { return /[\u3400-\u9fff\uf900-\ufaff]/.test(ch); }

  // editDistance is the Levenshtein distance, stopping early past max.
  function editDistance(a, b, max) {
    if (Math.abs(a.length - b.length) > max) return max + 1;
    var prev = [], cur, i, j;
    for (j = 0; j <= b.length; j++) prev[j] = j;
    for (i = 1; i <= a.length; i++) {
      cur = [i];
      var best = i;
      for (j = 1; j <= b.length; j++) {
        cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        best = Math.min(best, cur[j]);
      }
      if (best > max) return max + 1;
      prev = cur;
    }
    return prev[b.length];
  }

  function wordMatches(word, hay, hayWords) {
    if (hay.indexOf(word) >= 0) return true;
    var chars = Array.from(word);
    if (chars.some(isCJK)) {
      var found = chars.filter(function (c) { return hay.indexOf(c) >= 0; }).length;
      var need = chars.length <= 3 ? chars.length - 1 : Math.ceil(chars.length * 0.75);
      return chars.length > 1 && found >= need;
    }
    if (word.length < 4) return false;
    var max = word.length >= 7 ? 2 : 1;
    return hayWords.some(function (w) { return editDistance(word, w, max) <= max; });
  }

  var entries = labels.map(function (l) {
    var hay = norm(l.getAttribute('data-search') + ' ' + l.textContent);
    return { label: l, hay: hay, words: hay.split(/\s+/).filter(Boolean) };
  });

  function openByDefault(g) {
    return g.getAttribute('data-group') === 'other' || !!g.querySelector('input[name="category"]:checked');
  }
  function fold() {
    groups.forEach(function (g) { g.hidden = false; g.open = openByDefault(g); });
    entries.forEach(function (e) { e.label.hidden = false; });
    status.textContent = '';
  }

  function filter() {
    var words = norm(input.value).split(/\s+/).filter(Boolean);
    if (!words.length) { fold(); return; }
    var n = 0;
    entries.forEach(function (e) {
      var ok = words.every(function (w) { return wordMatches(w, e.hay, e.words); });
      e.label.hidden = !ok;
      if (ok) n++;
    });
    groups.forEach(function (g) {
      var any = g.querySelector('label.cat:not([hidden])');
      var other = g.getAttribute('data-group') === 'other';
      g.hidden = !any && !other;
      g.open = !!any || other;
      if (other && !any) Array.prototype.forEach.call(g.querySelectorAll('label.cat'), function (l) { l.hidden = false; });
    });
    status.textContent = n ? t('report.cat_found', n) : t('report.cat_none', n);
  }

  input.addEventListener('input', filter);
  // Enter in the search box must not submit the report.
  input.addEventListener('keydown', function (e) { if (e.key === 'Enter') e.preventDefault(); });
  box.hidden = false;
  fold();
})();
