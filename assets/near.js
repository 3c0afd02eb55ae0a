/* 附近工地 / Near me: the browser's position for the server to order sites by distance
   (dashboard/ui/components/near.py). Clientside because only the browser knows where it is; the
   answer goes into a dcc.Store, an error as its code so the server can say it in the user's
   language. A tap while the list is ordered turns the ordering off again. */
(function () {
  "use strict";
  window.dash_clientside = window.dash_clientside || {};

  var ERRORS = { 1: "denied", 2: "unavailable", 3: "timeout" };
  // maximumAge: a fix of the last minute is still where the inspector stands, and comes at once.
  var OPTIONS = { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 };

  function ordered(current) {
    return !!(current && typeof current.lon === "number");
  }

  window.dash_clientside.near = {
    locate: function (n, current) {
      if (!n) { return window.dash_clientside.no_update; }
      if (ordered(current)) { return null; }
      return new Promise(function (resolve) {
        // Browsers give no position to plain http (other than localhost): say so, do not hang.
        if (!window.isSecureContext || !navigator.geolocation) {
          resolve({ error: "unsupported", at: Date.now() });
          return;
        }
        navigator.geolocation.getCurrentPosition(function (p) {
          resolve({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy, at: p.timestamp });
        }, function (e) {
          // "at" makes each answer new, so the server callback runs even for the same error twice.
          resolve({ error: ERRORS[e.code] || "unavailable", at: Date.now() });
        }, OPTIONS);
      });
    },
    // The button spins while the browser looks (up to OPTIONS.timeout); the server stops it.
    pending: function (n, current) {
      if (!n || ordered(current)) { return window.dash_clientside.no_update; }
      return true;
    }
  };
})();
