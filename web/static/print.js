// Print buttons (the dispatch sheet, a volunteer's certificate): shown when
// this script runs; the browser's own print works too.
document.querySelectorAll('[data-print]').forEach(function (b) {
  b.hidden = false;
  b.addEventListener('click', function () { window.print(); });
});
