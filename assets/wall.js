/* The wall display: scene rotation and the clock (clientside callbacks), and the watchdog that
   brings the screen back by itself after a server restart or a network drop. */
(function () {
  "use strict";
  window.dash_clientside = window.dash_clientside || {};

  function scenesOf(config) {
    return (config && config.scenes) || ["overview", "air", "compliance", "ledger"];
  }

  window.dash_clientside.wall = {
    rotate: function (n, config) {
      var scenes = scenesOf(config);
      var start = Math.max(0, scenes.indexOf(config && config.scene));
      var active = scenes[(start + (n || 0)) % scenes.length];
      var scene = scenes.map(function (s) { return "wall-scene wall-scene-" + s + (s === active ? " is-active" : ""); });
      var tabs = scenes.map(function (s) { return "wall-tab" + (s === active ? " is-active" : ""); });
      return scene.concat(tabs);
    },
    clock: function (_n, config) {
      var tz = (config && config.tz) || "Asia/Shanghai";
      var en = config && config.lang === "en";
      var now = new Date();
      var time = now.toLocaleTimeString(en ? "en-GB" : "zh-CN", { timeZone: tz, hour12: false });
      var date = now.toLocaleDateString(en ? "en-GB" : "zh-CN",
        { timeZone: tz, year: "numeric", month: "long", day: "numeric", weekday: "long" });
      return [time, date];
    }
  };

  if (!/^\/wall\/?$/.test(window.location.pathname)) { return; }

  // Watchdog: a failing callback or going offline shows the notice, then /health is polled
  // and the page reloads once the server answers (a fresh page: new layout, new callbacks).
  var waiting = false;
  var nativeFetch = window.fetch.bind(window);

  function show() {
    document.documentElement.classList.add("wall-is-offline");
  }

  function poll() {
    nativeFetch("/health", { cache: "no-store" }).then(function (r) {
      if (r.ok) { window.location.reload(); } else { setTimeout(poll, 3000); }
    }, function () { setTimeout(poll, 3000); });
  }

  function lost() {
    if (waiting) { return; }
    waiting = true;
    show();
    setTimeout(poll, 2000);
  }

  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var answer = nativeFetch(input, init);
    if (url.indexOf("/_dash-update-component") === -1) { return answer; }
    return answer.then(function (response) {
      // 204 is "no update"; anything else not ok means the server or our session is gone.
      if (!response.ok && response.status !== 204) { lost(); }
      return response;
    }, function (error) { lost(); throw error; });
  };
  window.addEventListener("offline", lost);
  if (navigator.onLine === false) { lost(); }
}());
