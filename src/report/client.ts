/**
 * The browser side of a report page: reads the chart specs inlined as JSON (charts.ts) and draws them
 * with chart.js. chart.js has no error bars or vertical marker lines built in, so two tiny plugins draw
 * the confidence intervals, the stream-limit lines and the crosses of points that failed without a value.
 * Plain ES2017, no modules: it runs from file:// with nothing else loaded.
 */
export const CLIENT_SCRIPT = `(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('muxbench-charts').textContent);

  function sig3(n) {
    if (!isFinite(n)) return '-';
    if (n === 0) return '0';
    return Number(n.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 6 });
  }
  function compact(n) {
    var a = Math.abs(n);
    if (a >= 1e9) return sig3(n / 1e9) + 'G';
    if (a >= 1e6) return sig3(n / 1e6) + 'M';
    if (a >= 1e4) return sig3(n / 1e3) + 'k';
    return sig3(n);
  }
  var FORMAT = {
    rate: function (v) { return compact(v) + ' req/s'; },
    us: function (v) {
      var a = Math.abs(v);
      if (a >= 1e6) return sig3(v / 1e6) + ' s';
      if (a >= 1e3) return sig3(v / 1e3) + ' ms';
      return sig3(v) + ' µs';
    },
    percent: function (v) { return sig3(v * 100) + ' %'; },
    bytes: function (v) {
      var a = Math.abs(v);
      if (a >= 1073741824) return sig3(v / 1073741824) + ' GiB';
      if (a >= 1048576) return sig3(v / 1048576) + ' MiB';
      if (a >= 1024) return sig3(v / 1024) + ' KiB';
      return sig3(v) + ' B';
    },
    number: compact,
    percentile: function (v) { return +(100 * (1 - 1 / v)).toPrecision(6) + ' %'; },
    seconds: function (v) { return sig3(v) + ' s'; }
  };
  var FAILED = '#d62728';

  function xOf(spec, x) {
    return spec.xScale === 'category' ? spec.xLabels[spec.xValues.indexOf(x)] : x;
  }

  // 95 % confidence intervals of the medians, drawn as error bars with caps
  var errorBars = {
    id: 'muxErrorBars',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var y = chart.scales.y;
      chart.data.datasets.forEach(function (ds, i) {
        var meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        meta.data.forEach(function (el, j) {
          var d = ds.data[j];
          if (!d || d.y === null || d.low === null || d.high === null || d.low === d.high) return;
          var top = y.getPixelForValue(d.high);
          var bottom = y.getPixelForValue(d.low);
          ctx.save();
          ctx.strokeStyle = ds.borderColor;
          ctx.lineWidth = 1.5;
          ctx.setLineDash([]);
          ctx.beginPath();
          ctx.moveTo(el.x, top); ctx.lineTo(el.x, bottom);
          ctx.moveTo(el.x - 4, top); ctx.lineTo(el.x + 4, top);
          ctx.moveTo(el.x - 4, bottom); ctx.lineTo(el.x + 4, bottom);
          ctx.stroke();
          ctx.restore();
        });
      });
    }
  };

  // vertical marker lines (a system's stream limit, in its colour, labelled with the system) and red crosses
  // where a point failed with no value to plot
  var markers = {
    id: 'muxMarkers',
    afterDatasetsDraw: function (chart, args, opts) {
      var spec = opts.spec;
      if (!spec) return;
      var ctx = chart.ctx;
      var area = chart.chartArea;
      var x = chart.scales.x;
      ctx.save();
      var row = 0;
      spec.markers.forEach(function (m) {
        // a limit whose lines are all hidden (legend click) is hidden with them
        var shown = !m.series || chart.data.datasets.some(function (ds, i) { return m.series.indexOf(ds.label) >= 0 && chart.isDatasetVisible(i); });
        if (!shown) return;
        var px = x.getPixelForValue(m.x);
        ctx.strokeStyle = m.color || '#555';
        ctx.lineWidth = 1.5;
        ctx.setLineDash([4, 4]);
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = '#333';
        ctx.font = '11px sans-serif';
        // one row per label, so two limits never write over each other; left of the line near the right edge
        var width = ctx.measureText(m.label).width;
        var right = px + 4 + width > area.right;
        ctx.textAlign = right ? 'right' : 'left';
        ctx.fillText(m.label, right ? px - 4 : px + 4, area.top + 12 + 13 * row);
        row++;
      });
      chart.data.datasets.forEach(function (ds, i) {
        if (chart.getDatasetMeta(i).hidden) return;
        ds.data.forEach(function (d) {
          if (d.status !== 'failed' || d.y !== null) return;
          var px = x.getPixelForValue(d.x);
          var py = area.bottom - 10;
          ctx.strokeStyle = FAILED;
          ctx.lineWidth = 3;
          ctx.beginPath();
          ctx.moveTo(px - 6, py - 6); ctx.lineTo(px + 6, py + 6);
          ctx.moveTo(px + 6, py - 6); ctx.lineTo(px - 6, py + 6);
          ctx.stroke();
        });
      });
      ctx.restore();
    }
  };

  // The plot keeps at least this height however many legend rows there are: the canvas's box grows
  // instead (chart.js gives the legend up to half the canvas and clips the rest, and the plot gets what is left).
  var MIN_PLOT_PX = 220;
  var BASE_HEIGHT_PX = 300;
  function fitHeight(chart) {
    var box = chart.canvas.parentNode;
    if (!box || box.clientWidth === 0 || !chart.chartArea) return false;
    var plot = chart.chartArea.bottom - chart.chartArea.top;
    var want = Math.max(BASE_HEIGHT_PX, Math.ceil(box.clientHeight + MIN_PLOT_PX - plot));
    if (Math.abs(want - box.clientHeight) <= 2) return false;
    box.style.height = want + 'px';
    return true;
  }
  // after every layout (a narrower window wraps the legend into more rows; a closed <details> opened)
  var fit = {
    id: 'muxFitHeight',
    afterLayout: function (chart) {
      // the box's new height reaches chart.js through its ResizeObserver, which lays the chart out again
      fitHeight(chart);
    }
  };

  // labels of a log axis: 1-2-5 in each decade when there is room, 1-3, then 1, then every other decade
  function logTick(fmt) {
    return function (v) {
      var decades = Math.max(1, Math.log10(this.max / this.min));
      var perDecade = (this.height || 200) / decades;
      var e = Math.floor(Math.log10(v) + 1e-9);
      var m = v / Math.pow(10, e);
      var keep = perDecade >= 60 ? [1, 2, 5] : perDecade >= 40 ? [1, 3] : [1];
      if (perDecade < 20 && e % 2 !== 0) return '';
      var nice = keep.some(function (k) { return Math.abs(m - k) < 1e-6; });
      return nice ? fmt(v) : '';
    };
  }

  function xTicks(spec) {
    if (spec.xFormat === 'percentile') {
      // no "0 %" tick: it would sit on top of "50 %"
      var top = spec.xValues[spec.xValues.length - 1];
      return [2, 10, 100, 1000, 10000, 100000].filter(function (v) { return v <= top; });
    }
    return spec.xValues;
  }

  function yScale(spec, yFmt) {
    var y = {
      type: spec.yLog ? 'logarithmic' : 'linear',
      beginAtZero: !spec.yLog,
      title: { display: true, text: spec.yLabel },
      ticks: { callback: spec.yLog ? logTick(yFmt) : yFmt },
      grid: { color: '#eee' }
    };
    if (spec.yLog) {
      // room above and below so end points and error bars are not cut; every 1-2-5 label kept
      var ys = [];
      spec.series.forEach(function (s) {
        s.points.forEach(function (p) {
          [p.y, p.low, p.high].forEach(function (v) { if (v !== null && v > 0) ys.push(v); });
        });
      });
      if (ys.length) {
        y.min = Math.min.apply(null, ys) / 1.4;
        y.max = Math.max.apply(null, ys) * 1.4;
      }
      y.ticks.autoSkip = false;
    }
    return y;
  }

  function config(spec) {
    var yFmt = FORMAT[spec.yFormat];
    var datasets = spec.series.map(function (s) {
      return {
        label: s.label,
        borderColor: s.color,
        backgroundColor: s.color,
        borderDash: s.dashed ? [6, 4] : [],
        borderWidth: 2,
        spanGaps: false,
        data: s.points.map(function (p) {
          return { x: xOf(spec, p.x), y: p.y, low: p.low, high: p.high, status: p.status, reason: p.reason || '', trials: p.trials };
        }),
        pointStyle: function (c) {
          var st = c.raw && c.raw.status;
          return st === 'failed' ? 'crossRot' : st === 'generator-bound' ? 'triangle' : st === 'not-steady' ? 'rectRot' : 'circle';
        },
        pointRadius: function (c) {
          if (spec.xFormat === 'seconds') return 0;
          var st = c.raw && c.raw.status;
          return st === 'failed' ? 8 : st === 'generator-bound' || st === 'not-steady' ? 6 : 3.5;
        },
        pointBorderWidth: function (c) {
          var st = c.raw && c.raw.status;
          return st === 'failed' ? 3 : st === 'generator-bound' || st === 'not-steady' ? 2 : 1;
        },
        pointBorderColor: function (c) {
          return c.raw && c.raw.status === 'failed' ? FAILED : s.color;
        },
        pointBackgroundColor: function (c) {
          var st = c.raw && c.raw.status;
          return st === 'failed' ? FAILED : st === 'generator-bound' || st === 'not-steady' ? '#ffffff' : s.color;
        }
      };
    });
    var xScale = {
      type: spec.xScale,
      title: { display: true, text: spec.xTitle },
      grid: { color: '#eee' }
    };
    if (spec.xScale === 'category') {
      xScale.labels = spec.xLabels;
      xScale.offset = true;
    } else if (spec.xFormat === 'seconds') {
      // a time axis: chart.js picks the ticks
      xScale.ticks = { maxRotation: 0, callback: FORMAT.seconds };
    } else {
      var ticks = xTicks(spec);
      var lo = spec.xValues[0];
      var hi = spec.xValues[spec.xValues.length - 1];
      // a little room either side so the end points and their error bars are not cut in half
      if (spec.xFormat === 'percentile') {
        xScale.min = 1;
        xScale.max = hi;
      } else if (spec.xScale === 'logarithmic') {
        xScale.min = lo / 1.3;
        xScale.max = hi * 1.3;
      } else if (hi > lo) {
        xScale.min = lo - (hi - lo) * 0.04;
        xScale.max = hi + (hi - lo) * 0.04;
      }
      xScale.afterBuildTicks = function (axis) {
        axis.ticks = ticks.map(function (v) { return { value: v }; });
      };
      xScale.ticks = {
        autoSkip: true,
        maxRotation: 0,
        callback: function (v) {
          var i = spec.xValues.indexOf(v);
          return spec.xFormat === 'percentile' ? FORMAT.percentile(v) : i >= 0 ? spec.xLabels[i] : FORMAT[spec.xFormat](v);
        }
      };
    }
    return {
      type: 'line',
      data: { datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: { xAxisKey: 'x', yAxisKey: 'y' },
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: xScale,
          y: yScale(spec, yFmt)
        },
        plugins: {
          legend: {
            position: 'bottom',
            // every row of the legend is drawn: the box grows to keep the plot's height (fitHeight)
            maxHeight: 100000,
            labels: {
              usePointStyle: true,
              pointStyleWidth: 26,
              // a line sample in the series' colour and dash, whatever the style of its first point
              generateLabels: function (chart) {
                return Chart.defaults.plugins.legend.labels.generateLabels(chart).map(function (l) {
                  var ds = chart.data.datasets[l.datasetIndex];
                  l.pointStyle = 'line';
                  l.strokeStyle = ds.borderColor;
                  l.fillStyle = ds.borderColor;
                  l.lineWidth = 2;
                  l.lineDash = ds.borderDash;
                  return l;
                });
              }
            }
          },
          muxMarkers: { spec: spec },
          tooltip: {
            callbacks: {
              title: function (items) {
                var d = items[0] && items[0].raw;
                if (!d) return '';
                if (spec.xFormat === 'percentile') return FORMAT.percentile(d.x);
                if (spec.xFormat === 'seconds') return FORMAT.seconds(d.x);
                return spec.xTitle + ' = ' + (spec.xScale === 'category' ? d.x : spec.xLabels[spec.xValues.indexOf(d.x)]);
              },
              label: function (item) {
                var d = item.raw;
                var text = item.dataset.label + ': ' + (d.y === null ? 'no value' : yFmt(d.y));
                if (d.low !== null && d.high !== null && d.low !== d.high) text += ' (95 % CI ' + yFmt(d.low) + ' – ' + yFmt(d.high) + ')';
                if (d.status !== 'ok') text += ' — ' + d.status.toUpperCase();
                return text;
              },
              afterLabel: function (item) {
                var r = item.raw.reason;
                return r ? (r.length > 120 ? r.slice(0, 117) + '…' : r) : '';
              }
            }
          }
        }
      },
      plugins: [errorBars, markers, fit]
    };
  }

  var charts = [];
  specs.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) return;
    try {
      var chart = new Chart(canvas, config(spec));
      // the first fit at once, so the page is laid out when muxbenchCharts appears
      if (fitHeight(chart)) chart.resize();
      charts.push(chart);
    } catch (err) {
      canvas.parentNode.insertAdjacentHTML('beforeend', '<p class="chart-error">chart failed: ' + String(err && err.message).replace(/[<&]/g, '') + '</p>');
      console.error('muxbench chart ' + spec.id + ': ' + (err && err.stack || err));
    }
  });
  window.muxbenchCharts = charts;
})();
`;
