// Resumable video uploads for the entry form's "Videos" step, with the vendored tus-js-client.
//
// Markup (templates/submissions/entrant/step_videos.html and _video_slot.html):
//   [data-video-uploads]  the panel: endpoint, entry, CSRF token, size limits and every sentence (data-msg-*)
//   .video-upload[data-slot]  one per slot: a drop zone with a file input, a progress bar, pause/resume/cancel
// The slot list around the widgets is refreshed by htmx; the widgets carry hx-preserve, so a running upload keeps
// its elements. When an upload finishes, a "videos-changed" event on <body> makes htmx fetch the list again.
// No text lives here: every sentence comes from the page, already translated.
(function () {
  "use strict";

  var panel = document.querySelector("[data-video-uploads]");
  if (!panel) { return; }
  if (!window.tus || !window.tus.isSupported) {
    var unsupported = panel.querySelector("[data-unsupported]");
    if (unsupported) { unsupported.hidden = false; }
    return;
  }

  var MAX_PARALLEL = 3;
  var RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];
  var config = {
    endpoint: panel.dataset.endpoint,
    entry: panel.dataset.entry,
    csrf: panel.dataset.csrf,
    maxSize: Number(panel.dataset.maxSize) || Infinity
  };
  var lang = document.documentElement.lang || undefined;
  var jobs = {};      // slot -> the upload job currently shown in that slot's widget
  var queue = [];     // jobs waiting for a free connection
  var batch = [];     // every job counted in the overall progress since the last time all were done

  // ----------------------------------------------------------------------------------------- small helpers

  function msg(key, values) {
    var name = "msg" + key.replace(/(^|-)([a-z])/g, function (_m, _d, c) { return c.toUpperCase(); });
    var text = panel.dataset[name] || "";
    return text.replace(/\{(\w+)\}/g, function (whole, field) {
      return values && Object.prototype.hasOwnProperty.call(values, field) ? String(values[field]) : whole;
    });
  }

  function humanSize(bytes) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    var digits = unit === 0 || value >= 100 ? 0 : 1;
    return new Intl.NumberFormat(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits })
      .format(value) + " " + units[unit];
  }

  function percentOf(done, total) {
    if (!total) { return 0; }
    return Math.min(100, Math.floor((done / total) * 100));
  }

  function percentText(value) {
    return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 }).format(value / 100);
  }

  function widgetFor(slot) {
    return document.getElementById("upload-" + slot);
  }

  function part(widget, selector) {
    return widget ? widget.querySelector(selector) : null;
  }

  function show(element, visible) {
    if (element) { element.hidden = !visible; }
  }

  function setMessage(element, text, kind) {
    if (!element) { return; }
    element.textContent = text || "";
    element.className = element.className.replace(/\bmessage(-\w+)?\b/g, "").trim();
    if (text) { element.classList.add("message", "message-" + (kind || "info")); }
    element.hidden = !text;
  }

  function isActive(job) {
    return job.state === "queued" || job.state === "uploading" || job.state === "paused" || job.state === "offline";
  }

  function anyActive() {
    return Object.keys(jobs).some(function (slot) { return isActive(jobs[slot]); });
  }

  function runningCount() {
    return Object.keys(jobs).filter(function (slot) { return jobs[slot].state === "uploading"; }).length;
  }

  // ----------------------------------------------------------------------------------------- drawing

  function render(job) {
    var widget = widgetFor(job.slot);
    if (!widget) { return; }
    var progress = part(widget, "[data-progress]");
    show(progress, job.state !== "error" && job.state !== "cancelled");
    show(part(widget, "[data-resume]"), false);
    part(widget, "[data-file-name]").textContent = job.file.name;
    var percent = percentOf(job.sent, job.total);
    part(widget, "[data-bar]").value = percent;
    part(widget, "[data-percent]").textContent = percentText(percent);
    var detail = "";
    var sizes = { done: humanSize(job.sent), total: humanSize(job.total) };
    if (job.state === "queued") {
      detail = msg("queued");
    } else if (job.state === "uploading") {
      detail = job.note || msg("progress", sizes);
      if (!job.note && job.speed > 0) {
        var minutes = Math.max(1, Math.ceil((job.total - job.sent) / job.speed / 60));
        detail += " · " + msg("speed", { speed: humanSize(job.speed), minutes: minutes });
      }
    } else if (job.state === "paused") {
      detail = job.note || msg("paused", sizes);
    } else if (job.state === "offline") {
      detail = job.note || msg("offline");
    } else if (job.state === "done") {
      detail = msg("done");
    }
    part(widget, "[data-detail]").textContent = detail;
    show(part(widget, "[data-action=pause]"), job.state === "uploading" || job.state === "queued");
    show(part(widget, "[data-action=resume]"), job.state === "paused" || job.state === "offline");
    show(part(widget, "[data-action=cancel]"), isActive(job));
    widget.classList.toggle("is-uploading", isActive(job));
    widget.classList.toggle("is-done", job.state === "done");
    renderOverall();
  }

  function renderOverall() {
    var box = panel.querySelector("[data-overall]");
    if (!box) { return; }
    var counted = batch.filter(function (job) { return job.state !== "cancelled" && job.state !== "error"; });
    if (!counted.length) { show(box, false); return; }
    var done = 0;
    var total = 0;
    counted.forEach(function (job) { done += job.sent; total += job.total; });
    var percent = percentOf(done, total);
    var active = counted.some(isActive);
    box.querySelector("[data-overall-bar]").value = percent;
    box.querySelector("[data-overall-percent]").textContent = percentText(percent);
    box.querySelector("[data-overall-text]").textContent = active
      ? msg("overall", { count: counted.length, done: humanSize(done), total: humanSize(total) })
      : msg("overall-done");
    show(box, true);
  }

  // ----------------------------------------------------------------------------------------- errors

  function statusOf(error) {
    return error && error.originalResponse ? error.originalResponse.getStatus() : 0;
  }

  // The server's own explanation (a plain sentence, or JSON with one), or a sentence for the status.
  function reasonOf(error) {
    var status = statusOf(error);
    var body = "";
    try { body = error.originalResponse ? (error.originalResponse.getBody() || "") : ""; } catch (_e) { body = ""; }
    body = String(body).trim();
    if (body.charAt(0) === "{") {
      try {
        var data = JSON.parse(body);
        body = String(data.error || data.message || data.detail || "");
      } catch (_e) { body = ""; }
    }
    if (body && body.charAt(0) !== "<" && body.length <= 500) { return body; }
    if (status === 401) { return msg("error-session"); }
    if (status === 403) { return msg("error-forbidden"); }
    return msg("error-generic");
  }

  // ----------------------------------------------------------------------------------------- the uploads

  function fingerprint(slot) {
    // The same file into another slot, entry or site is another upload; the same file again here resumes.
    return function (file) {
      return Promise.resolve(["zhuiguang", location.host, config.entry, slot, file.name, file.type, file.size,
        file.lastModified].join("/"));
    };
  }

  function makeUpload(job) {
    var chunkSize = Number(panel.dataset.chunkSize) || Infinity;
    return new tus.Upload(job.file, {
      endpoint: config.endpoint,
      chunkSize: chunkSize,
      retryDelays: RETRY_DELAYS,
      headers: { "X-CSRFToken": config.csrf },
      metadata: {
        entry: String(config.entry),
        slot: job.slot,
        filename: job.file.name,
        filetype: job.file.type || ""
      },
      fingerprint: fingerprint(job.slot),
      removeFingerprintOnSuccess: true,
      onProgress: function (sent, total) {
        var now = Date.now();
        if (job.lastTime && now - job.lastTime >= 1000) {
          var rate = (sent - job.lastSent) / ((now - job.lastTime) / 1000);
          job.speed = job.speed ? job.speed * 0.7 + rate * 0.3 : rate;
          job.lastTime = now;
          job.lastSent = sent;
        } else if (!job.lastTime) {
          job.lastTime = now;
          job.lastSent = sent;
        }
        job.sent = sent;
        job.total = total;
        job.note = "";
        if (job.state !== "paused") { job.state = "uploading"; }
        render(job);
      },
      onShouldRetry: function (error) {
        var status = statusOf(error);
        if (status >= 400 && status < 500 && status !== 409 && status !== 423) { return false; }
        job.note = navigator.onLine === false ? msg("offline") : msg("retrying");
        job.speed = 0;
        render(job);
        return true;
      },
      onError: function (error) {
        var status = statusOf(error);
        if (status === 0) {
          // Still no connection after every retry: wait for it (or for the Resume button).
          job.state = "offline";
          job.note = navigator.onLine === false ? msg("offline") : msg("stopped");
          render(job);
          pump();
          return;
        }
        job.state = "error";
        fail(job, reasonOf(error));
      },
      onSuccess: function () {
        job.state = "done";
        job.doneAt = Date.now();
        job.sent = job.total;
        render(job);
        var widget = widgetFor(job.slot);
        var text = part(widget, "[data-drop-text]");
        if (text && text.dataset.replaceText) { text.textContent = text.dataset.replaceText; }
        pump();
        document.body.dispatchEvent(new CustomEvent("videos-changed", { bubbles: true }));
      }
    });
  }

  function fail(job, reason) {
    delete jobs[job.slot];
    render(job);
    var widget = widgetFor(job.slot);
    show(part(widget, "[data-progress]"), false);
    setMessage(part(widget, "[data-message]"), msg("failed", { name: job.file.name, reason: reason }), "error");
    pump();
  }

  function start(job) {
    job.state = "uploading";
    job.note = msg("starting");
    render(job);
    if (job.upload && job.prepared) {  // resumed after a pause, an error or the connection coming back
      job.upload.start();
      return;
    }
    job.upload = job.upload || makeUpload(job);
    job.upload.findPreviousUploads().then(function (previous) {
      if (job.state !== "uploading" || job.prepared) { return; }  // paused or cancelled meanwhile
      job.prepared = true;
      if (previous.length) {
        previous.sort(function (a, b) { return Date.parse(b.creationTime) - Date.parse(a.creationTime); });
        job.upload.resumeFromPreviousUpload(previous[0]);
        job.note = msg("resuming");
        render(job);
      }
      job.upload.start();
    });
  }

  function pump() {
    while (queue.length && runningCount() < MAX_PARALLEL) {
      var job = queue.shift();
      if (job.state === "queued") { start(job); }
    }
  }

  function refuse(slot, text) {
    setMessage(part(widgetFor(slot), "[data-message]"), text, "error");
  }

  function problemWith(file) {
    if (file.size > config.maxSize) {
      return msg("too-large", { name: file.name, size: humanSize(file.size) });
    }
    if (file.size === 0) { return msg("empty", { name: file.name }); }
    if (file.type && file.type.indexOf("video/") !== 0) { return msg("not-video", { name: file.name }); }
    return "";
  }

  function addFile(slot, file) {
    var widget = widgetFor(slot);
    if (!widget) { return false; }
    var current = jobs[slot];
    if (current && isActive(current)) {
      refuse(slot, msg("busy"));
      return false;
    }
    var problem = problemWith(file);
    if (problem) {
      refuse(slot, problem);
      return false;
    }
    setMessage(part(widget, "[data-message]"), "");
    if (!anyActive()) { batch = []; }
    var job = { slot: slot, file: file, sent: 0, total: file.size, state: "queued", note: "", speed: 0 };
    jobs[slot] = job;
    batch.push(job);
    queue.push(job);
    render(job);
    pump();
    return true;
  }

  function pause(job) {
    if (job.state === "queued") {
      queue = queue.filter(function (other) { return other !== job; });
    } else if (job.upload) {
      job.upload.abort();
    }
    job.state = "paused";
    job.note = "";
    job.speed = 0;
    job.lastTime = 0;
    render(job);
    pump();
  }

  function resume(job) {
    job.state = "queued";
    job.note = "";
    queue.unshift(job);
    render(job);
    pump();
  }

  function cancel(job) {
    queue = queue.filter(function (other) { return other !== job; });
    job.state = "cancelled";
    if (job.upload) {
      // Removes the bytes sent so far from the server and the resume record from this browser.
      job.upload.abort(true).catch(function () { /* expires on the server by itself */ });
    }
    delete jobs[job.slot];
    var widget = widgetFor(job.slot);
    show(part(widget, "[data-progress]"), false);
    widget.classList.remove("is-uploading");
    setMessage(part(widget, "[data-message]"), msg("cancelled"), "info");
    renderOverall();
    pump();
  }

  // ----------------------------------------------------------------------------------------- several episodes

  var EPISODE_PATTERNS = [
    /第\s*0*(\d{1,3})\s*[集话話回期]/,
    /(?:^|[^a-z])(?:ep|episode|e)[\s._-]*0*(\d{1,3})(?!\d)/i
  ];

  function episodeNumber(name) {
    var stem = name.replace(/\.[^.]*$/, "");
    for (var i = 0; i < EPISODE_PATTERNS.length; i += 1) {
      var match = stem.match(EPISODE_PATTERNS[i]);
      if (match) { return Number(match[1]); }
    }
    // Otherwise the only number in the name that has an episode slot (1080, 2026 and the like have none).
    var numbers = (stem.match(/\d+/g) || []).map(Number).filter(function (n) {
      return n > 0 && widgetFor("episode-" + n);
    });
    var unique = numbers.filter(function (n, index) { return numbers.indexOf(n) === index; });
    return unique.length === 1 ? unique[0] : null;
  }

  function addSeveral(files) {
    var notes = [];
    var taken = {};
    var matched = 0;
    Array.prototype.forEach.call(files, function (file) {
      var number = episodeNumber(file.name);
      if (!number) {
        notes.push(msg("bulk-unmatched", { name: file.name }));
      } else if (!widgetFor("episode-" + number)) {
        notes.push(msg("bulk-no-slot", { name: file.name, number: number }));
      } else if (taken[number]) {
        notes.push(msg("bulk-duplicate", { name: file.name, number: number }));
      } else {
        taken[number] = true;
        if (addFile("episode-" + number, file)) { matched += 1; }
      }
    });
    if (matched) { notes.unshift(msg("bulk-matched", { count: matched })); }
    if (!matched && !notes.length) { notes.push(msg("bulk-none")); }
    setMessage(panel.querySelector("[data-bulk-message]"), notes.join(" "), matched ? "info" : "warning");
  }

  // ----------------------------------------------------------------------------------------- events

  function filesChosen(input, files) {
    if (!files || !files.length) { return; }
    var bulk = input.closest("[data-bulk]");
    if (bulk) {
      addSeveral(files);
    } else {
      var widget = input.closest("[data-slot]");
      if (widget) { addFile(widget.dataset.slot, files[0]); }
    }
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-file]")) { return; }
    filesChosen(input, input.files);
    input.value = "";  // choosing the same file again (to resume it) fires change again
  });

  function zoneOf(event) {
    return event.target.closest ? event.target.closest("[data-drop]") : null;
  }

  function carriesFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types || [], "Files") !== -1;
  }

  document.addEventListener("dragover", function (event) {
    if (!carriesFiles(event)) { return; }
    event.preventDefault();  // anywhere on the page: a missed drop must not open the video in the tab
    var zone = zoneOf(event);
    event.dataTransfer.dropEffect = zone ? "copy" : "none";
    document.querySelectorAll(".drop-zone.is-over").forEach(function (other) {
      if (other !== zone) { other.classList.remove("is-over"); }
    });
    if (zone) { zone.classList.add("is-over"); }
  });

  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event);
    if (zone && !zone.contains(event.relatedTarget)) { zone.classList.remove("is-over"); }
  });

  document.addEventListener("drop", function (event) {
    if (!carriesFiles(event)) { return; }
    event.preventDefault();
    var zone = zoneOf(event);
    if (!zone) { return; }
    zone.classList.remove("is-over");
    var input = zone.querySelector("[data-file]");
    if (input) { filesChosen(input, event.dataTransfer.files); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-action]") : null;
    if (!button) { return; }
    var widget = button.closest("[data-slot]");
    if (!widget) { return; }
    var action = button.dataset.action;
    if (action === "discard") { discardPrevious(widget); return; }
    var job = jobs[widget.dataset.slot];
    if (!job) { return; }
    if (action === "pause") { pause(job); }
    if (action === "resume") { resume(job); }
    if (action === "cancel") { cancel(job); }
  });

  // Once the list shows a finished upload's video (a refresh asked for after it finished), its bar goes away.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail && event.detail.xhr) { event.detail.xhr.zgStartedAt = Date.now(); }
  });
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var started = event.detail && event.detail.xhr ? event.detail.xhr.zgStartedAt || 0 : 0;
    Object.keys(jobs).forEach(function (slot) {
      var job = jobs[slot];
      if (job.state !== "done" || started < job.doneAt) { return; }
      delete jobs[slot];
      var widget = widgetFor(slot);
      show(part(widget, "[data-progress]"), false);
      if (widget) { widget.classList.remove("is-done"); }
    });
  });

  window.addEventListener("online", function () {
    Object.keys(jobs).forEach(function (slot) {
      if (jobs[slot].state === "offline") { resume(jobs[slot]); }
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (!anyActive()) { return; }
    event.preventDefault();
    event.returnValue = msg("leave");
    return event.returnValue;
  });

  // ----------------------------------------------------------------------------------------- after a reload

  var storage = tus.defaultOptions && tus.defaultOptions.urlStorage;

  function forget(record) {
    if (storage && record && record.urlStorageKey) { storage.removeUpload(record.urlStorageKey); }
  }

  function discardPrevious(widget) {
    var box = part(widget, "[data-resume]");
    var record = box && box.record;
    show(box, false);
    if (!record) { return; }
    tus.Upload.terminate(record.uploadUrl, { headers: { "X-CSRFToken": config.csrf }, retryDelays: [0, 1000] })
      .catch(function () { /* gone already, or expires by itself */ })
      .then(function () { forget(record); });
  }

  // Uploads left unfinished in this browser (tus keeps their addresses in localStorage): say so in their slot.
  function showUnfinished() {
    if (!storage || !storage.findAllUploads) { return; }
    storage.findAllUploads().then(function (records) {
      var newest = {};
      records.forEach(function (record) {
        var metadata = record.metadata || {};
        if (String(metadata.entry) !== String(config.entry) || !record.uploadUrl) { return; }
        var seen = newest[metadata.slot];
        if (!seen || Date.parse(record.creationTime) > Date.parse(seen.creationTime)) {
          newest[metadata.slot] = record;
        }
      });
      Object.keys(newest).forEach(function (slot) {
        var record = newest[slot];
        var widget = widgetFor(slot);
        if (!widget) { return; }
        fetch(record.uploadUrl, { method: "HEAD", headers: { "Tus-Resumable": "1.0.0" }, credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) {
              if (response.status === 404 || response.status === 410) { forget(record); }
              return;
            }
            var offset = Number(response.headers.get("Upload-Offset"));
            var length = Number(response.headers.get("Upload-Length")) || record.size;
            if (!length || offset >= length || jobs[slot]) { return; }
            var box = part(widget, "[data-resume]");
            box.record = record;
            part(widget, "[data-resume-text]").textContent = msg("resume-hint", {
              name: (record.metadata && record.metadata.filename) || "",
              percent: percentText(percentOf(offset, length))
            });
            show(box, true);
          })
          .catch(function () { /* offline: nothing to say yet */ });
      });
    });
  }

  showUnfinished();
})();
