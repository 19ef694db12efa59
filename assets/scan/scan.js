// The door page: a scan-scoped key in this tab only (sessionStorage), codes
// from a USB scanner (it types and presses Enter), the keyboard, or the
// camera where the browser has BarcodeDetector; each one is sent to
// POST /v1/scans and answered in big green or red, in words, with a sound.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const api = new URL('v1/scans', document.baseURI).href;
  let audio = null;

  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.frequency.value = ok ? 1320 : 220;
      o.type = ok ? 'sine' : 'square';
      g.gain.value = 0.15;
      o.connect(g).connect(audio.destination);
      o.start();
      o.stop(audio.currentTime + (ok ? 0.15 : 0.5));
    } catch (e) { /* no audio: the colour and the words still tell */ }
  }

  function show(kind, verdict, reason, holder) {
    const a = $('answer');
    a.className = kind;
    a.dataset.state = kind;
    $('verdict').textContent = verdict;
    $('reason').textContent = reason || '';
    const dl = $('holder');
    dl.textContent = '';
    for (const [k, v] of Object.entries(holder || {})) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = typeof v === 'string' ? v : JSON.stringify(v);
      dl.append(dt, dd);
    }
  }

  function session() {
    return { key: sessionStorage.getItem('passforge.scan.key'), gate: sessionStorage.getItem('passforge.scan.gate') || '' };
  }

  function enter() {
    const s = session();
    const on = !!s.key;
    $('login').hidden = on;
    $('scanner').hidden = !on;
    $('logout').hidden = !on;
    $('who').textContent = on ? (s.gate || 'gate not named') : '';
    if (on) {
      $('code').focus();
      startCamera();
    }
  }

  let busy = false;
  async function check(code) {
    code = code.trim();
    if (!code || busy) return;
    busy = true;
    const s = session();
    show('wait', '…', code);
    try {
      const body = { message: code, redeem: $('redeem').checked };
      if (s.gate) body.gate = s.gate;
      const r = await fetch(api, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': s.key },
        body: JSON.stringify(body),
      });
      const v = await r.json().catch(() => ({}));
      if (r.status === 200) {
        const ok = v.canUse === true;
        show(ok ? 'ok' : 'no', ok ? (v.redeemed ? 'ADMIT' : 'VALID') : 'STOP', v.message, v.holder);
        beep(ok);
      } else if (r.status === 401 || r.status === 403) {
        show('no', 'KEY REFUSED', (v.detail || 'this key cannot scan') + ' — log in with a scan key');
        beep(false);
      } else if (r.status === 404) {
        show('no', 'UNKNOWN', v.detail || 'no pass carries this code');
        beep(false);
      } else {
        show('no', 'ERROR', v.detail || ('the service answered ' + r.status));
        beep(false);
      }
    } catch (e) {
      show('no', 'OFFLINE', 'the service cannot be reached: ' + e.message);
      beep(false);
    } finally {
      busy = false;
      $('code').value = '';
      $('code').focus();
    }
  }

  let cameraOn = false;
  async function startCamera() {
    if (cameraOn) return;
    const hint = $('camera-hint');
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices) {
      hint.textContent = 'This browser cannot read barcodes with the camera: use a USB scanner or type the code.';
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      const video = $('camera');
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      cameraOn = true;
      hint.textContent = 'Hold the pass’s barcode in front of the camera.';
      const detector = new window.BarcodeDetector();
      let last = '';
      let lastAt = 0;
      const tick = async () => {
        try {
          const found = await detector.detect(video);
          const code = found.length ? found[0].rawValue : '';
          const now = Date.now();
          if (code && (code !== last || now - lastAt > 3000)) {
            last = code;
            lastAt = now;
            await check(code);
          }
        } catch (e) { /* a frame that could not be read */ }
        setTimeout(tick, 250);
      };
      tick();
    } catch (e) {
      hint.textContent = 'No camera (' + e.message + '): use a USB scanner or type the code.';
    }
  }

  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem('passforge.scan.key', $('key').value.trim());
    sessionStorage.setItem('passforge.scan.gate', $('gate').value.trim());
    $('key').value = '';
    enter();
  });
  $('manual').addEventListener('submit', (e) => {
    e.preventDefault();
    check($('code').value);
  });
  $('logout').addEventListener('click', () => {
    sessionStorage.removeItem('passforge.scan.key');
    sessionStorage.removeItem('passforge.scan.gate');
    show('idle', 'READY', 'Scan a pass, or type its code and press Enter.');
    enter();
  });
  enter();
})();
