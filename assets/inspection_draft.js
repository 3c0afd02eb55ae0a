/* The inspection form keeps what was entered on the phone itself (localStorage), so a reload, a
   closed tab or a dropped connection loses nothing, and a submit made without a connection waits
   in an outbox and is sent when the connection returns. Every send carries the form's key (a
   UUID), so the server saves one inspection however often a send is repeated.

   A draft lives under the form's address (its "slot", e.g. /inspections/new?site=12 or
   /inspections/34) until the server confirms the save. */
(function () {
  "use strict";
  window.dash_clientside = window.dash_clientside || {};
  var PREFIX = "dashboard.inspection-draft:";
  // A send not answered within this time is sent again (the key makes a repeat harmless).
  var RESEND_MS = 10000;
  var KEEP_DAYS = 14;

  // The page's state: which slot has been restored (nothing is kept before that, or the
  // initial values would overwrite the stored draft) and the send waiting for an answer.
  var page = { restored: null, pending: null };

  function noUpdate() { return window.dash_clientside.no_update; }
  function setProps(id, props) { window.dash_clientside.set_props(id, props); }

  function read(slot) {
    try { return JSON.parse(window.localStorage.getItem(PREFIX + slot)); } catch (e) { return null; }
  }
  function write(slot, draft) {
    try { window.localStorage.setItem(PREFIX + slot, JSON.stringify(draft)); return true; } catch (e) { return false; }
  }
  function drop(slot) {
    try { window.localStorage.removeItem(PREFIX + slot); } catch (e) { /* storage unavailable */ }
  }
  function drafts() {
    var found = [];
    try {
      for (var i = 0; i < window.localStorage.length; i++) {
        var name = window.localStorage.key(i);
        if (name && name.indexOf(PREFIX) === 0) {
          var draft = read(name.slice(PREFIX.length));
          if (draft) { found.push(draft); }
        }
      }
    } catch (e) { /* storage unavailable: nothing kept */ }
    return found;
  }
  function clock(ms) {
    var d = new Date(ms);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " + two(d.getHours()) + ":" + two(d.getMinutes());
  }
  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (_m, k) { return values[k] !== undefined ? values[k] : ""; });
  }
  function newId() {
    return (window.crypto && window.crypto.randomUUID) ? window.crypto.randomUUID()
      : String(Date.now()) + "-" + String(Math.random()).slice(2);
  }
  function otherDraftLinks(slot, texts) {
    var now = Date.now();
    return drafts().filter(function (d) {
      return d.slot !== slot && d.slot && d.slot.indexOf("/inspections/") === 0 && now - (d.saved_at || 0) < KEEP_DAYS * 864e5;
    }).map(function (d) {
      return {
        type: "A", namespace: "dash_html_components",
        props: { href: d.slot, className: "insp-other-draft",
                 children: fill(texts.other_draft, { site: d.site_label || "—", time: clock(d.saved_at) }) }
      };
    });
  }
  function sendNow(key) {
    var p = page.pending;
    p.attempt += 1;
    p.at = Date.now();
    p.id = newId();
    p.ids.push(p.id);
    setProps("insp-outbox", { data: { id: p.id, key: key, submit: p.submit, attempt: p.attempt } });
  }

  window.dash_clientside.inspection_draft = {
    // On opening the form: bring back what this phone kept for it, and forget drafts the
    // server has confirmed (the page of a just-saved inspection names its key).
    restore: function (slot, version, savedKey, ids, texts) {
      if (!slot) { return noUpdate(); }
      if (savedKey) {
        drafts().forEach(function (d) { if (d.key === savedKey) { drop(d.slot); } });
      }
      var draft = read(slot);
      page.restored = slot;
      page.pending = null;
      setProps("insp-other-drafts", { children: otherDraftLinks(slot, texts) });
      if (!draft || (draft.version !== null && draft.version !== undefined && draft.version !== version)) {
        if (draft) { drop(slot); }  // kept against a version that has since changed
        return noUpdate();
      }
      var v = draft.values || {};
      var fields = { "insp-site": "value", "insp-date": "value", "insp-time": "value", "insp-inspector": "value",
                     "insp-kind": "value", "insp-general-note": "value" };
      Object.keys(fields).forEach(function (id) {
        if (v[id] !== undefined && v[id] !== null) { var p = {}; p[fields[id]] = v[id]; setProps(id, p); }
      });
      if (v["insp-wds"] !== undefined) { setProps("insp-wds", { checked: !!v["insp-wds"] }); }
      (ids || []).forEach(function (id) {
        var item = (draft.items || {})[id.key];
        if (!item) { return; }
        setProps({ type: "insp-result", key: id.key }, { value: item.result || "" });
        setProps({ type: "insp-note", key: id.key }, { value: item.note || "" });
        setProps({ type: "insp-photos", key: id.key }, { data: item.photos || [] });
      });
      if (draft.key) { setProps("insp-key", { data: draft.key }); }
      setProps("insp-restored", { style: {} });
      setProps("insp-restored-text", { children: fill(texts.restored, { time: clock(draft.saved_at) }) });
      if (draft.queued) {
        // 提交 was pressed and no answer came: it is still to be sent.
        page.pending = { submit: draft.queued.submit, attempt: 0, at: 0, id: null, ids: [] };
      }
      return noUpdate();
    },

    // Every change is written to the phone at once.
    keep: function (site, date, time, inspector, kind, wds, note, results, notes, photos, ids, slot, key, version,
                    siteOptions, texts) {
      if (!slot || page.restored !== slot) { return noUpdate(); }
      var items = {};
      (ids || []).forEach(function (id, i) {
        items[id.key] = { result: (results || [])[i] || "", note: (notes || [])[i] || "", photos: (photos || [])[i] || [] };
      });
      var label = "";
      (siteOptions || []).forEach(function (o) { if (o && String(o.value) === String(site)) { label = o.label; } });
      var old = read(slot) || {};
      var draft = {
        slot: slot, key: key, version: version === undefined ? null : version, saved_at: Date.now(),
        site_label: label, queued: old.queued || null, items: items,
        values: { "insp-site": site, "insp-date": date, "insp-time": time, "insp-inspector": inspector,
                  "insp-kind": kind, "insp-wds": !!wds, "insp-general-note": note }
      };
      return write(slot, draft) ? fill(texts.kept, { time: clock(draft.saved_at) }) : texts.not_kept;
    },

    // 提交 / 保存草稿: into the outbox first (kept on the phone), then sent.
    send: function (_submit, _draft, slot, key) {
      var trigger = window.dash_clientside.callback_context.triggered_id;
      var submit = trigger === "insp-submit";
      if (trigger !== "insp-submit" && trigger !== "insp-save-draft") { return noUpdate(); }
      var draft = slot ? read(slot) : null;
      if (draft) { draft.queued = { submit: submit }; write(slot, draft); }
      page.pending = { submit: submit, attempt: 0, at: 0, id: null, ids: [] };
      sendNow(key);
      return noUpdate();
    },

    // The server answered a send (saved, or refused with a message): nothing more to send.
    ack: function (acked, slot, texts) {
      var p = page.pending;
      if (!acked || !p || p.ids.indexOf(acked.id) < 0) { return noUpdate(); }
      page.pending = null;
      if (acked.saved) {
        drop(slot);
        return texts.sent;
      }
      var draft = slot ? read(slot) : null;
      if (draft && draft.queued) { draft.queued = null; write(slot, draft); }
      return "";
    },

    // Every few seconds: send what waits once there is a connection, and say what is happening.
    tick: function (_n, key, texts) {
      var p = page.pending;
      if (!p) { return noUpdate(); }
      if (!window.navigator.onLine) { return texts.offline; }
      if (p.attempt === 0 || Date.now() - p.at > RESEND_MS) {
        sendNow(key);
        return p.attempt > 1 ? texts.resending : texts.sending;
      }
      return texts.sending;
    },

    discard: function (n, slot) {
      if (!n || !slot) { return noUpdate(); }
      drop(slot);
      page.restored = null;
      window.location.reload();
      return noUpdate();
    }
  };
})();
