// One player and a list of an entry's videos (templates/submissions/_video_player.html): choosing a video in the
// list plays it in the player instead of opening the file. Without this script the links open the previews.
(function () {
  "use strict";

  function choose(container, link) {
    var player = container.querySelector("[data-player]");
    if (!player) { return; }
    player.pause();
    if (link.dataset.poster) {
      player.setAttribute("poster", link.dataset.poster);
    } else {
      player.removeAttribute("poster");
    }
    player.setAttribute("src", link.getAttribute("href"));
    player.setAttribute("aria-label", link.dataset.label || "");
    player.load();
    var playing = player.play();
    if (playing && playing.catch) { playing.catch(function () { /* the browser wants a click on the player */ }); }
    var now = container.querySelector("[data-now-playing]");
    if (now) { now.textContent = link.dataset.label || ""; }
    container.querySelectorAll("[data-play][aria-current]").forEach(function (other) {
      other.removeAttribute("aria-current");
    });
    link.setAttribute("aria-current", "true");
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) { return; }
    var link = event.target.closest ? event.target.closest("[data-play]") : null;
    var container = link ? link.closest("[data-video-player]") : null;
    if (!container) { return; }
    event.preventDefault();
    choose(container, link);
    var screen = container.querySelector("[data-player]");
    if (screen && screen.getBoundingClientRect().top < 0) { screen.scrollIntoView({ behavior: "smooth" }); }
  });
})();
