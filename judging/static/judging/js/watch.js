// Records what a judge actually plays of each video on the entry page (templates/judging/judge/_video.html):
// every <video data-watch-url> reports its played intervals [start, end] in seconds to the watch endpoint, which
// merges them (judging.scoring.record_watch) and answers 200 {"share": 0.85}; the "Watched 85 %" text follows.
// Seeking is not watching: an interval ends when the player seeks or jumps by more than 2 s, and a new one starts.
// Intervals go out every 10 s while playing, on pause and at the end (fetch), and when the page is left
// (navigator.sendBeacon, with the CSRF token in the form data).
(function () {
  "use strict";

  var SEND_EVERY_MS = 10000;
  var JUMP_SECONDS = 2;
  var MIN_SECONDS = 0.2;
  var trackers = [];

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function Tracker(video) {
    this.video = video;
    this.url = video.getAttribute("data-watch-url");
    this.token = video.getAttribute("data-csrf-token") || cookie("csrftoken");
    this.current = null; // the open interval [start, end] while playing
    this.done = []; // closed intervals not sent yet
    this.label = null;
    var item = video.closest("[data-watch-item]");
    if (item) { this.label = item.querySelector("[data-watched-text]"); }
    this.listen();
  }

  Tracker.prototype.close = function () {
    if (this.current && this.current[1] - this.current[0] >= MIN_SECONDS) { this.done.push(this.current); }
    this.current = null;
  };

  Tracker.prototype.tick = function (evenIfPaused) {
    var video = this.video;
    if ((video.paused && !evenIfPaused) || video.seeking) { return; }
    var now = video.currentTime;
    if (!this.current) {
      this.current = [now, now];
    } else if (now < this.current[1] || now - this.current[1] > JUMP_SECONDS) {
      this.close(); // a jump: what lies between was not watched
      this.current = [now, now];
    } else {
      this.current[1] = now;
    }
  };

  // Everything played so far, ready to send; the open interval goes on from where it was cut.
  Tracker.prototype.take = function () {
    var intervals = this.done;
    this.done = [];
    if (this.current && this.current[1] - this.current[0] >= MIN_SECONDS) {
      intervals.push([this.current[0], this.current[1]]);
      this.current = [this.current[1], this.current[1]];
    }
    return intervals;
  };

  Tracker.prototype.show = function (share) {
    if (!this.label || typeof share !== "number") { return; }
    var template = this.label.getAttribute("data-template") || "__PERCENT__ %";
    this.label.textContent = template.replace("__PERCENT__", String(Math.floor(share * 100 + 1e-9)));
  };

  Tracker.prototype.send = function () {
    var self = this;
    self.take().forEach(function (interval) {
      fetch(self.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": self.token, "Accept": "application/json" },
        body: JSON.stringify({ start: interval[0], end: interval[1] })
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (data) {
        self.show(data && data.share);
      }).catch(function () {
        self.done.push(interval); // try again with the next report
      });
    });
  };

  Tracker.prototype.beacon = function () {
    var self = this;
    if (!navigator.sendBeacon) { self.send(); return; }
    self.take().forEach(function (interval) {
      var data = new FormData();
      data.append("start", String(interval[0]));
      data.append("end", String(interval[1]));
      data.append("csrfmiddlewaretoken", self.token);
      navigator.sendBeacon(self.url, data);
    });
  };

  Tracker.prototype.listen = function () {
    var self = this;
    var video = self.video;
    video.addEventListener("playing", function () { self.tick(); });
    video.addEventListener("timeupdate", function () { self.tick(); });
    video.addEventListener("seeking", function () { self.close(); });
    // Playback stops on pause and at the end (which fires pause first): count up to where it stopped.
    video.addEventListener("pause", function () { if (self.current) { self.tick(true); } self.close(); self.send(); });
    video.addEventListener("ended", function () { self.close(); self.send(); });
  };

  document.querySelectorAll("video[data-watch-url]").forEach(function (video) {
    trackers.push(new Tracker(video));
  });
  if (!trackers.length) { return; }

  setInterval(function () {
    trackers.forEach(function (tracker) { if (!tracker.video.paused) { tracker.tick(); tracker.send(); } });
  }, SEND_EVERY_MS);

  window.addEventListener("pagehide", function () {
    trackers.forEach(function (tracker) {
      if (tracker.current) { tracker.tick(true); }
      tracker.close();
      tracker.beacon();
    });
  });
})();
