/* Charts on paper: plotly draws at the width of the screen, which paper cuts at its right edge.
   Before printing, every chart is laid out at the A4 content width (186 mm at 96 px per inch);
   after printing, back to filling its box. */
(function () {
  var A4_CONTENT_PX = Math.floor((186 / 25.4) * 96);
  function plots() { return document.querySelectorAll('.js-plotly-plot'); }
  window.addEventListener('beforeprint', function () {
    if (!window.Plotly) { return; }
    plots().forEach(function (gd) {
      var width = Math.min(A4_CONTENT_PX, gd.getBoundingClientRect().width || A4_CONTENT_PX);
      gd.dataset.printResized = '1';
      window.Plotly.relayout(gd, { width: width, autosize: false });
    });
  });
  window.addEventListener('afterprint', function () {
    if (!window.Plotly) { return; }
    plots().forEach(function (gd) {
      if (gd.dataset.printResized) {
        delete gd.dataset.printResized;
        window.Plotly.relayout(gd, { width: null, autosize: true });
      }
    });
  });
})();
