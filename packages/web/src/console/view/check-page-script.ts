/**
 * The check page's script, served as a fingerprinted file (the CSP runs no inline script): it reads
 * the chart JSON of `#latency[data-src]` and draws one uPlot per vantage, phases as series (1 h:
 * each result's total and the phases' hour means, the hour's means before history's oldest result;
 * 24 h and 7 d: the rollups' means); the range
 * buttons read the JSON again; Delete asks first. Styles are set through the DOM, which
 * `style-src 'self'` allows. Without script the page still shows everything but the chart.
 */
export const CHECK_PAGE_SCRIPT = `(function () {
  'use strict';
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  });
  var box = document.getElementById('latency');
  if (!box || typeof uPlot !== 'function') return;
  var colours = { dns: '#8250df', connect: '#bf8700', tls: '#1a7f37', firstByte: '#0969da', total: '#cf222e' };
  var labels = { dns: 'DNS', connect: 'Connect', tls: 'TLS', firstByte: 'First byte', total: 'Total' };
  var charts = [];
  function clear() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    box.textContent = '';
  }
  function say(text) {
    clear();
    var p = document.createElement('p');
    p.className = 'muted';
    p.textContent = text;
    box.appendChild(p);
  }
  function draw(data) {
    clear();
    if (data.vantages.length === 0) return say('No result in this range.');
    var width = Math.max(320, Math.min(box.clientWidth || 800, 1200));
    data.vantages.forEach(function (v) {
      var figure = document.createElement('figure');
      figure.className = 'chart';
      figure.setAttribute('data-vantage', v.vantage);
      // The phases with a point in range, for a reader of the page (and its tests) to see what is drawn.
      figure.setAttribute('data-drawn', data.phases.filter(function (phase) {
        return v.phases[phase].some(function (value) { return value !== null; });
      }).join(' '));
      var caption = document.createElement('figcaption');
      var kept = data.historyFrom !== null && data.historyFrom > data.from
        ? ' (results kept since ' + new Date(data.historyFrom).toISOString().slice(0, 16).replace('T', ' ') + ' UTC, means before)'
        : '';
      var means = data.bucketMs >= 3600000 ? (data.bucketMs / 3600000) + '-hour means' : (data.bucketMs / 60000) + '-minute means';
      var probes = 0;
      var failed = 0;
      v.samples.forEach(function (n, i) { probes += n || 0; failed += v.failures[i] || 0; });
      var counted = probes > 0 ? '; ' + probes + ' probes, ' + failed + ' failed' : '';
      caption.textContent = v.vantage + ': latency (ms), ' + data.range + kept +
        (data.range === '1h' ? ': each result, phases as ' + means : ': ' + means) + counted;
      figure.appendChild(caption);
      box.appendChild(figure);
      var series = [{}];
      var columns = [v.t];
      data.phases.forEach(function (phase) {
        // 1 h: history keeps totals, phases are a few bucket means and the latest result's, so points show.
        series.push({
          label: labels[phase] || phase,
          stroke: colours[phase] || '#59636e',
          width: phase === 'total' ? 2 : 1,
          spanGaps: false,
          points: { show: true, size: phase === 'total' ? 4 : 6 },
        });
        columns.push(v.phases[phase]);
      });
      var options = {
        width: width,
        height: 220,
        series: series,
        // Latency from 0, so a phase's few points are never drawn off the auto-ranged edge.
        scales: {
          x: { time: true, min: data.from / 1000, max: data.to / 1000 },
          y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } },
        },
        axes: [{}, { label: 'ms' }],
      };
      charts.push(new uPlot(options, columns, figure));
    });
  }
  function load(range) {
    var url = box.getAttribute('data-src') + '?range=' + encodeURIComponent(range);
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('the chart answered ' + response.status);
        return response.json();
      })
      .then(draw)
      .catch(function (error) { say('The chart could not be read: ' + error.message); });
  }
  document.querySelectorAll('.chart-ranges [data-range]').forEach(function (button) {
    button.addEventListener('click', function () {
      document.querySelectorAll('.chart-ranges [data-range]').forEach(function (other) {
        other.setAttribute('aria-pressed', String(other === button));
      });
      load(button.getAttribute('data-range'));
    });
  });
  load('1h');
})();
`;
