// The notice list: new notices arrive over the live stream and a line on
// top says so, with a link that reloads the list. Without this script the
// list is as it was when loaded.
(() => {
  const live = document.getElementById('ntc-live');
  if (!live || !window.EventSource) return;
  const es = new EventSource('/api/v1/announcements/stream');
  es.addEventListener('notice', (ev) => {
    let n;
    try { n = JSON.parse(ev.data); } catch (e) { return; }
    live.querySelector('span').textContent = n.title;
    live.hidden = false;
  });
  es.addEventListener('end', () => es.close());
})();
