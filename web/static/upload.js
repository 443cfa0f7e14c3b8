// civicgrid photo uploads: a photo is scaled down in the browser to at most
// 1,600 px on its long side and re-encoded as JPEG before it is sent, so a
// report from a slow phone network sends about 300 KB instead of several MB.
// Uploads are content-addressed on the server: sending the same photo again
// after a failure stores nothing twice. Evidence forms (input[data-upload])
// get the uploaded photo as a hidden "photos" field.
(function () {
  'use strict';
  var MAX_SIDE = 1600;
  var cfgEl = document.getElementById('cg-config');
  var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : { messages: {} };
  var msgs = cfg.messages || {};
  function t(key, vars) {
    var s = msgs[key] || key;
    if (vars) Object.keys(vars).forEach(function (k) { s = s.split('{' + k + '}').join(vars[k]); });
    return s;
  }

  function loadImage(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: 'from-image' }).catch(function () { return viaElement(file); });
    }
    return viaElement(file);
  }
  function viaElement(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error('not an image')); };
      img.src = url;
    });
  }

  // downscale returns a JPEG Blob at most MAX_SIDE px on its long side.
  function downscale(file) {
    return loadImage(file).then(function (img) {
      var w = img.width, h = img.height;
      var k = Math.min(1, MAX_SIDE / Math.max(w, h));
      var cw = Math.max(1, Math.round(w * k)), ch = Math.max(1, Math.round(h * k));
      var canvas = document.createElement('canvas');
      canvas.width = cw; canvas.height = ch;
      var ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, cw, ch);
      ctx.drawImage(img, 0, 0, cw, ch);
      if (img.close) img.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (b) { b ? resolve(b) : reject(new Error('encode failed')); }, 'image/jpeg', 0.85);
      });
    });
  }

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  // upload sends the blob, retrying network failures with a growing pause;
  // it resolves to {ref, thumb} or rejects with {status, message}.
  function upload(blob, attempts) {
    attempts = attempts || 4;
    var tryOnce = function (n) {
      return fetch('/api/v1/photos', {
        method: 'POST', body: blob, credentials: 'same-origin',
        headers: { 'Content-Type': 'image/jpeg', 'X-CSRF-Token': cfg.csrf || '' }
      }).then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (body) {
          if (!res.ok) {
            var err = new Error((body.error && body.error.message) || ('HTTP ' + res.status));
            err.status = res.status;
            throw err;
          }
          return body;
        });
      }, function (netErr) {
        if (n + 1 >= attempts) { netErr.status = 0; throw netErr; }
        return sleep(1000 * Math.pow(2, n)).then(function () { return tryOnce(n + 1); });
      });
    };
    return tryOnce(0);
  }

  window.cgPhotos = { downscale: downscale, upload: upload, t: t, cfg: cfg };

  // Evidence inputs in step forms.
  Array.prototype.forEach.call(document.querySelectorAll('input[data-upload]'), function (input) {
    var form = input.form;
    var list = form.querySelector('[data-uploads]');
    var submit = form.querySelector('button[type="submit"]');
    var busy = 0;
    input.addEventListener('change', function () {
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement('p');
        item.className = 'upload';
        item.textContent = t('upload.working');
        list.appendChild(item);
        busy++;
        submit.disabled = true;
        downscale(file).then(upload).then(function (saved) {
          var hidden = document.createElement('input');
          hidden.type = 'hidden'; hidden.name = 'photos'; hidden.value = saved.ref;
          form.appendChild(hidden);
          item.textContent = '';
          var img = document.createElement('img');
          img.src = '/photos/' + saved.thumb; img.alt = t('upload.done'); img.width = 64; img.height = 64;
          item.appendChild(img);
          item.appendChild(document.createTextNode(' ' + t('upload.done')));
          item.setAttribute('data-ref', saved.ref);
        }).catch(function (err) {
          item.textContent = t('upload.failed') + (err && err.message ? ' (' + err.message + ')' : '');
          item.className = 'upload error';
        }).then(function () {
          busy--;
          if (!busy) submit.disabled = false;
        });
      });
      input.value = '';
    });
  });
})();
